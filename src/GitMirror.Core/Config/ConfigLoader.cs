using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace GitMirror.Core.Config;

/// <summary>
/// Reads repos.yaml (version 1). The original tool's file is valid as-is; everything else is
/// optional. Every problem names file, line, column and key; nothing runs on a bad file.
/// </summary>
public static partial class ConfigLoader
{
    public const string EnvironmentVariable = "GITMIRROR_CONFIG";
    public const string DefaultFileName = "repos.yaml";

    private static readonly string[] RootKeys = ["version", "github", "gitlab", "cache", "onDivergence", "repos", "lfs", "webhookSecretEnv",
        "refs", "organizations", "organizationRefreshMinutes", "notify", "failureThreshold", "tokenExpiryWarningDays", "openIssues"];
    private static readonly string[] ForgeKeys = ["url", "api", "tokenEnv", "allowInsecureHttp", "maxPushSize", "app"];
    private static readonly string[] AppKeys = ["id", "privateKeyEnv", "installationId"];

    /// <summary>The largest config file read: far above any real one, small enough to never hurt memory.</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>The deepest nesting of lists and mappings accepted (repos.yaml needs 3): deeper input is rejected before the parser recurses into it.</summary>
    public const int MaxDepth = 32;
    private static readonly string[] PairKeys = ["github", "gitlab", "name", "onDivergence", "lfs", "refs"];

    /// <summary>
    /// Which config to read, as given: -Path, else $GITMIRROR_CONFIG, else ./repos.yaml. The caller
    /// resolves it (PowerShell through its providers, so TestDrive:/ and ~ work).
    /// </summary>
    public static string ChoosePath(string? path) =>
        !string.IsNullOrWhiteSpace(path) ? path
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv
        : DefaultFileName;

    /// <summary>The config path chosen by <see cref="ChoosePath"/>, resolved against <paramref name="currentDirectory"/> (callers without PowerShell).</summary>
    public static string ResolvePath(string? path, string currentDirectory) =>
        Path.GetFullPath(CacheLocation.ExpandHome(ChoosePath(path)), currentDirectory);

    public static MirrorConfig Load(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            throw new MirrorConfigException(fullPath, 0, 0, null,
                $"the configuration file does not exist (give -Path, set ${EnvironmentVariable}, or create ./{DefaultFileName})");
        }
        string text;
        try
        {
            var length = new FileInfo(fullPath).Length;
            if (length > MaxFileBytes)
            {
                throw new MirrorConfigException(fullPath, 0, 0, null,
                    $"the file is {length:N0} bytes, over the limit of {MaxFileBytes:N0}: is this the right file?");
            }
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MirrorConfigException(fullPath, 0, 0, null, $"cannot read the file: {e.Message}", e);
        }
        return Parse(text, fullPath);
    }

    public static MirrorConfig Parse(string text, string fullPath)
    {
        var reader = new Reader(fullPath);
        var stream = new YamlStream();
        if (text.Length > MaxFileBytes)
        {
            throw new MirrorConfigException(fullPath, 0, 0, null, $"the file is over the limit of {MaxFileBytes:N0} bytes");
        }
        try
        {
            // YamlStream builds its tree recursively: 100,000 nested '[' would overflow the stack and
            // kill the process (a pwsh session with it). The parser's event stream is not recursive.
            RejectDeepNesting(text, fullPath);
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw YamlSyntaxError.Explain(e, text, fullPath);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            throw new MirrorConfigException(fullPath, 0, 0, null, "the file is empty: it needs a 'repos:' list");
        }
        var root = reader.Mapping(stream.Documents[0].RootNode, "the document");
        reader.RejectUnknownKeys(root, RootKeys, null);

        if (reader.Child(root, "version") is { } versionNode && reader.Scalar(versionNode, "version") != "1")
        {
            throw reader.Error(versionNode, "version", "only version 1 is supported");
        }

        var configDir = Path.GetDirectoryName(fullPath)!;
        var github = reader.Forge(root, "github", ForgeSettings.GitHubDefault, "/api/v3", configDir);
        var gitlab = reader.Forge(root, "gitlab", ForgeSettings.GitLabDefault, "/api/v4", configDir);
        var cache = reader.Child(root, "cache") is { } cacheNode
            ? Path.GetFullPath(CacheLocation.ExpandHome(reader.Scalar(cacheNode, "cache")), configDir)
            : CacheLocation.Default();
        var policy = reader.Child(root, "onDivergence") is { } policyNode
            ? reader.Policy(policyNode, "onDivergence")
            : MirrorDivergencePolicy.HaltPair;
        var lfs = reader.Child(root, "lfs") is not { } lfsNode || reader.Boolean(lfsNode, "lfs");
        var refRules = reader.Child(root, "refs") is { } refsNode ? reader.RefRules(refsNode, "refs") : MirrorRefRules.Everything;

        var webhookSecretEnv = MirrorConfig.DefaultWebhookSecretEnv;
        if (reader.Child(root, "webhookSecretEnv") is { } secretEnvNode)
        {
            webhookSecretEnv = reader.Scalar(secretEnvNode, "webhookSecretEnv").Trim();
            if (!EnvName().IsMatch(webhookSecretEnv))
            {
                throw reader.Error(secretEnvNode, "webhookSecretEnv", $"'{webhookSecretEnv}' is not an environment variable name (name the variable, never put the secret itself here)");
            }
        }

        var organizations = ParseOrganizations(reader, root, policy, refRules);
        var organizationRefresh = ParseOrganizationRefresh(reader, root);
        // With organisations, repos: is optional (and may be empty); one of them must say what to mirror.
        var reposNode = reader.Child(root, "repos");
        if (reposNode is null && organizations.Count == 0)
        {
            throw reader.Error(root, "repos", "missing: list the pairs under 'repos:' (or whole organisations under 'organizations:')");
        }
        var repos = reposNode is null or YamlScalarNode { Value: null or "" } && organizations.Count > 0 ? new YamlSequenceNode()
            : reposNode as YamlSequenceNode ?? throw reader.Error(reposNode!, "repos", "must be a list of pairs (each with 'github:' and 'gitlab:')");
        if (repos.Children.Count == 0 && organizations.Count == 0)
        {
            throw reader.Error(reposNode!, "repos", "is empty: list at least one pair");
        }

        var pairs = new List<MirrorPair>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var githubPaths = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var gitlabPaths = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < repos.Children.Count; i++)
        {
            var key = $"repos[{i}]";
            var item = reader.Mapping(repos.Children[i], key);
            reader.RejectUnknownKeys(item, PairKeys, key);

            var githubPath = reader.RequiredPath(item, "github", key, GitHubPath());
            var gitlabPath = reader.RequiredPath(item, "gitlab", key, GitLabPath());
            var nameNode = reader.Child(item, "name");
            var name = nameNode is null ? githubPath : reader.Scalar(nameNode, $"{key}.name").Trim();
            if (name.Length == 0) throw reader.Error(nameNode!, $"{key}.name", "must not be empty");
            var pairPolicy = reader.Child(item, "onDivergence") is { } p ? reader.Policy(p, $"{key}.onDivergence") : policy;
            var pairLfs = reader.Child(item, "lfs") is { } l ? reader.Boolean(l, $"{key}.lfs") : lfs;
            var pairRefRules = reader.Child(item, "refs") is { } r ? reader.RefRules(r, $"{key}.refs") : refRules;

            reader.Unique(names, name, nameNode ?? reader.Child(item, "github")!, $"{key}.name", "pair name");
            reader.Unique(githubPaths, githubPath, reader.Child(item, "github")!, $"{key}.github", "GitHub repository");
            reader.Unique(gitlabPaths, gitlabPath, reader.Child(item, "gitlab")!, $"{key}.gitlab", "GitLab project");

            pairs.Add(new MirrorPair
            {
                Name = name,
                GitHub = githubPath,
                GitLab = gitlabPath,
                GitHubUrl = CloneUrl(github.Url, githubPath),
                GitLabUrl = CloneUrl(gitlab.Url, gitlabPath),
                OnDivergence = pairPolicy,
                Lfs = pairLfs,
                RefRules = pairRefRules,
                ConfigPath = fullPath,
                GitHubApi = github.Api,
                GitLabApi = gitlab.Api,
                GitHubTokenEnv = github.TokenEnv,
                GitHubApp = github.App,
                GitLabTokenEnv = gitlab.TokenEnv,
                GitHubMaxPushBytes = github.MaxPushBytes,
                GitLabMaxPushBytes = gitlab.MaxPushBytes,
                CachePath = cache,
            });
        }

        var config = new MirrorConfig
        {
            Warnings = [.. github.Warnings(ForgeKeyGitHub), .. gitlab.Warnings(ForgeKeyGitLab)],
            ConfigPath = fullPath,
            GitHub = github,
            GitLab = gitlab,
            CachePath = cache,
            OnDivergence = policy,
            Pairs = pairs,
            WebhookSecretEnv = webhookSecretEnv,
            RefRules = refRules,
            Lfs = lfs,
            Organizations = organizations,
            OrganizationRefresh = organizationRefresh,
            Notify = ReadNotify(reader, root),
        };
        // git children of this process never see the variables this config names for secrets.
        Transport.ChildEnvironment.WithholdSecretsOf(config);
        return config;
    }

    private const string ForgeKeyGitHub = "github";
    private const string ForgeKeyGitLab = "gitlab";

    private static void RejectDeepNesting(string text, string fullPath)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case SequenceStart or MappingStart:
                    if (++depth > MaxDepth)
                    {
                        var at = parser.Current!.Start;
                        throw new MirrorConfigException(fullPath, (int)at.Line, (int)at.Column, null,
                            $"lists and mappings are nested more than {MaxDepth} deep; repos.yaml needs 3");
                    }
                    break;
                case SequenceEnd or MappingEnd:
                    depth--;
                    break;
            }
        }
    }

    /// <summary>Clone URL of a side: &lt;url&gt;/&lt;path&gt;.git.</summary>
    public static string CloneUrl(string baseUrl, string path) => baseUrl.TrimEnd('/', '\\') + "/" + path + ".git";

    // owner/name: GitHub allows letters, digits, '-', '_' and '.' in both.
    [GeneratedRegex(@"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    private static partial Regex GitHubPath();

    // group[/subgroup…]/name
    [GeneratedRegex(@"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")]
    private static partial Regex GitLabPath();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    private sealed partial class Reader(string file)
    {
        public MirrorConfigException Error(YamlNode node, string? key, string problem) =>
            new(file, (int)node.Start.Line, (int)node.Start.Column, key, problem);

        public YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, what == "the document" ? null : what,
                what == "the document" ? "the document must be a mapping with a 'repos:' list" : "must be a mapping");

        public YamlNode? Child(YamlMappingNode map, string key)
        {
            foreach (var (k, v) in map.Children)
            {
                if (k is YamlScalarNode { Value: var name } && name == key) return v;
            }
            return null;
        }

        public string Scalar(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Error(node, key, "must be a plain value");

        public void RejectUnknownKeys(YamlMappingNode map, string[] allowed, string? parent)
        {
            foreach (var (k, _) in map.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? "";
                if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    var full = parent is null ? name : $"{parent}.{name}";
                    var hint = allowed.FirstOrDefault(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
                    throw Error(k, full, hint is null
                        ? $"unknown key (expected one of: {string.Join(", ", allowed)})"
                        : $"unknown key; did you mean '{hint}'? (keys are case-sensitive)");
                }
            }
        }

        public MirrorDivergencePolicy Policy(YamlNode node, string key) => Scalar(node, key) switch
        {
            "halt-pair" => MirrorDivergencePolicy.HaltPair,
            "skip-ref" => MirrorDivergencePolicy.SkipRef,
            var other => throw Error(node, key, $"'{other}' is not a policy (use halt-pair or skip-ref)"),
        };

        public bool Boolean(YamlNode node, string key) => Scalar(node, key) switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            var other => throw Error(node, key, $"'{other}' is not a boolean (use true or false)"),
        };

        public string RequiredPath(YamlMappingNode item, string side, string parent, Regex shape)
        {
            var key = $"{parent}.{side}";
            var node = Child(item, side) ?? throw Error(item, key, $"missing: every pair needs both 'github:' and 'gitlab:'");
            var value = Scalar(node, key).Trim();
            if (value.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) value = value[..^4];
            if (!shape.IsMatch(value) || value.Split('/').Any(s => s is "." or ".."))
            {
                throw Error(node, key, side == "github"
                    ? $"'{value}' is not a GitHub repository path (owner/name)"
                    : $"'{value}' is not a GitLab project path (group[/subgroup…]/name)");
            }
            return value;
        }

        public void Unique(Dictionary<string, int> seen, string value, YamlNode node, string key, string what)
        {
            var line = (int)node.Start.Line;
            if (!seen.TryAdd(value, line))
            {
                throw Error(node, key, $"duplicate {what} '{value}' (first used on line {seen[value]})");
            }
        }

        public ForgeSettings Forge(YamlMappingNode root, string key, ForgeSettings defaults, string apiSuffix, string configDir)
        {
            if (Child(root, key) is not { } node) return defaults;
            if (node is YamlScalarNode { Value: null or "" }) return defaults;
            var map = Mapping(node, key);
            RejectUnknownKeys(map, ForgeKeys, key);

            var url = defaults.Url;
            if (Child(map, "url") is { } urlNode)
            {
                url = NormalizeUrl(Scalar(urlNode, $"{key}.url").Trim(), urlNode, $"{key}.url", configDir);
            }
            var apiNode = Child(map, "api");
            var api = apiNode is not null
                ? ApiUrl(Scalar(apiNode, $"{key}.api").Trim(), apiNode, $"{key}.api")
                : url == defaults.Url || !url.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? defaults.Api : url + apiSuffix;
            var allowInsecure = false;
            if (Child(map, "allowInsecureHttp") is { } insecureNode)
            {
                allowInsecure = Scalar(insecureNode, $"{key}.allowInsecureHttp").Trim() switch
                {
                    "true" => true,
                    "false" => false,
                    var other => throw Error(insecureNode, $"{key}.allowInsecureHttp", $"'{other}' is not true or false"),
                };
            }
            if (!allowInsecure)
            {
                RefuseCleartext(url, Child(map, "url") ?? node, $"{key}.url", key);
                RefuseCleartext(api, apiNode ?? Child(map, "url") ?? node, $"{key}.api", key);
            }
            var tokenEnv = defaults.TokenEnv;
            if (Child(map, "tokenEnv") is { } envNode)
            {
                tokenEnv = Scalar(envNode, $"{key}.tokenEnv").Trim();
                if (!EnvName().IsMatch(tokenEnv))
                {
                    throw Error(envNode, $"{key}.tokenEnv", $"'{tokenEnv}' is not an environment variable name (name the variable, never put the token itself here)");
                }
            }
            var maxPush = Child(map, "maxPushSize") is { } sizeNode
                ? ByteSize(sizeNode, $"{key}.maxPushSize")
                : ForgeSettings.DefaultMaxPushBytes;
            var app = Child(map, "app") is { } appNode ? App(appNode, key) : null;
            return new ForgeSettings(url, api, tokenEnv) { MaxPushBytes = maxPush, AllowInsecureHttp = allowInsecure, App = app };
        }

        /// <summary>github.app: the App's id, the variable holding its private key, and optionally the installation.</summary>
        private MirrorGitHubApp App(YamlNode node, string section)
        {
            var key = $"{section}.app";
            if (section != ForgeKeyGitHub) throw Error(node, key, "only the github section can name a GitHub App");
            var map = Mapping(node, key);
            RejectUnknownKeys(map, AppKeys, key);
            var idNode = Child(map, "id") ?? throw Error(map, $"{key}.id", "missing: give the App's id (the App's settings page shows it as 'App ID')");
            var keyEnvNode = Child(map, "privateKeyEnv")
                ?? throw Error(map, $"{key}.privateKeyEnv", "missing: name the environment variable that holds the App's private key (PEM)");
            var keyEnv = Scalar(keyEnvNode, $"{key}.privateKeyEnv").Trim();
            if (!EnvName().IsMatch(keyEnv))
            {
                throw Error(keyEnvNode, $"{key}.privateKeyEnv", $"'{(keyEnv.Length > 40 ? keyEnv[..12] + "…" : keyEnv)}' is not an environment variable name (name the variable, never put the key itself here)");
            }
            return new MirrorGitHubApp
            {
                Id = PositiveId(idNode, $"{key}.id"),
                PrivateKeyEnv = keyEnv,
                InstallationId = Child(map, "installationId") is { } installationNode ? PositiveId(installationNode, $"{key}.installationId") : null,
            };
        }

        private long PositiveId(YamlNode node, string key)
        {
            var text = Scalar(node, key).Trim();
            return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0
                ? id
                : throw Error(node, key, $"'{text}' is not a number (GitHub's ids are positive whole numbers)");
        }

        /// <summary>"2g", "500m", "1536k" (powers of 1024, as git's own sizes) or plain bytes; at least 1m.</summary>
        private long ByteSize(YamlNode node, string key)
        {
            var text = Scalar(node, key).Trim();
            var match = Regex.Match(text, @"^(\d+)\s*([kmgKMG]?)(i?[bB])?$");
            if (!match.Success || !long.TryParse(match.Groups[1].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                throw Error(node, key, $"'{text}' is not a size (write e.g. 2g, 500m or a number of bytes)");
            }
            var bytes = number * (match.Groups[2].Value.ToLowerInvariant() switch { "k" => 1L << 10, "m" => 1L << 20, "g" => 1L << 30, _ => 1L });
            if (bytes < 1L << 20) throw Error(node, key, $"'{text}' is too small: a push needs at least 1m");
            return bytes;
        }

        /// <summary>An http:// URL to a host that is not loopback would carry the token in clear text.</summary>
        private void RefuseCleartext(string url, YamlNode node, string key, string section)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || Transport.HttpOrigin.IsLoopback(uri)) return;
            throw Error(node, key, $"'{WithoutUserInfo(url)}' is plain http to a host that is not loopback: the token would travel in clear text. "
                + $"Use https://, or set '{section}.allowInsecureHttp: true' if the network path is trusted (GitMirror then warns on every run)");
        }

        /// <summary>A URL as an error may show it: whatever stands between "//" and "@" (a password, a token) is left out.</summary>
        private static string WithoutUserInfo(string url) => Regex.Replace(url, @"(?<=//)[^/?#]*@", "***@");

        /// <summary>An API base: an absolute http(s) URL without credentials, query or fragment.</summary>
        private string ApiUrl(string api, YamlNode node, string key)
        {
            if (api.Length == 0) throw Error(node, key, "must not be empty");
            if (!Uri.TryCreate(api, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw Error(node, key, $"'{WithoutUserInfo(api)}' is not an http:// or https:// URL");
            }
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw Error(node, key, "must not hold credentials: tokens come only from the environment variable named by tokenEnv");
            }
            if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                throw Error(node, key, $"'{api}' must not have a query or fragment: give the API's base URL");
            }
            return api.TrimEnd('/');
        }

        private string NormalizeUrl(string url, YamlNode node, string key, string configDir)
        {
            if (url.Length == 0) throw Error(node, key, "must not be empty");
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file")
            {
                if (!string.IsNullOrEmpty(uri.UserInfo))
                {
                    throw Error(node, key, "must not hold credentials: tokens come only from the environment variable named by tokenEnv");
                }
                return url.TrimEnd('/');
            }
            if (url.Contains("://", StringComparison.Ordinal))
            {
                throw Error(node, key, $"unsupported URL scheme in '{WithoutUserInfo(url)}' (use https://, http://, file:// or a local directory)");
            }
            // A local directory (tests, demos): relative to the config file.
            return Path.GetFullPath(CacheLocation.ExpandHome(url), configDir).TrimEnd('/', '\\');
        }
    }
}
