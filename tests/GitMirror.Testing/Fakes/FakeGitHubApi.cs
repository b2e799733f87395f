using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Testing.Fakes;

/// <summary>A repository as the GitHub fake holds it: secrets are kept decrypted so tests can check them.</summary>
public sealed class FakeGitHubRepository
{
    public required string Owner { get; init; }
    public required string Name { get; init; }
    public required string Visibility { get; init; }
    public required string BarePath { get; init; }
    public string FullName => $"{Owner}/{Name}";

    /// <summary>Listed as archived (read-only) by the organisation's listing.</summary>
    public bool Archived { get; set; }

    /// <summary>Listed as a fork.</summary>
    public bool Fork { get; set; }

    /// <summary>Creation order: listings show the newest first, as GitHub's default sort does.</summary>
    public long Created { get; } = Interlocked.Increment(ref s_created);

    private static long s_created;

    /// <summary>Actions secrets, opened with the fake's private key: name → plain value.</summary>
    public Dictionary<string, string> Secrets { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Actions variables: name → value.</summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Webhooks in creation order.</summary>
    public List<FakeGitHubHook> Hooks { get; } = [];

    /// <summary>Deploy keys in creation order.</summary>
    public List<FakeDeployKey> DeployKeys { get; } = [];

    /// <summary>Issues in creation order (number = position + 1).</summary>
    public List<FakeIssue> Issues { get; } = [];
}

/// <summary>
/// A stateful fake of the GitHub REST API on 127.0.0.1, served under /api/v3 as GitHub Enterprise
/// (Octokit's base for any host but api.github.com). Users, organizations and tokens are set up
/// by the test; creating a repository creates a real bare repository under the project root.
/// </summary>
/// <summary>A repository webhook as the GitHub fake holds it (the secret is write-only in the real API).</summary>
public sealed record FakeGitHubHook(long Id, string Url, string ContentType, string? Secret, string InsecureSsl, bool Active, string[] Events);

public sealed partial class FakeGitHubApi : FakeForgeServer
{
    private readonly Dictionary<string, (string Login, string[] Scopes)> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _accounts = new(StringComparer.OrdinalIgnoreCase); // login → User|Organization
    private readonly Dictionary<string, FakeGitHubRepository> _repos = new(StringComparer.OrdinalIgnoreCase);
    private readonly Sodium.KeyPair _keyPair = Sodium.PublicKeyBox.GenerateKeyPair();

    private FakeGitHubApi(string projectRoot) : base(projectRoot)
    {
    }

    public static async Task<FakeGitHubApi> StartAsync(string projectRoot)
    {
        var fake = new FakeGitHubApi(projectRoot);
        await fake.StartAsync().ConfigureAwait(false);
        return fake;
    }

    /// <summary>The API base to put in repos.yaml (github.api): http://127.0.0.1:PORT/api/v3.</summary>
    public string ApiUrl => BaseUrl + ApiPrefix;

    /// <summary>The id of the repositories' Actions public key (GitHub rotates it; the fake does not).</summary>
    public string PublicKeyId { get; } = "568250167242549743";

    protected override string ApiPrefix => "/api/v3";

    /// <summary>
    /// Base of the repositories' SSH URLs (ssh_url = base/owner/name.git), e.g. a test sshd's
    /// <c>ssh://user@127.0.0.1:PORT/github</c>; null gives GitHub's own form, git@github.example:owner/name.git.
    /// </summary>
    public string? SshBaseUrl { get; set; }

    protected override JsonNode UnauthorizedBody => new JsonObject
    {
        ["message"] = "Bad credentials",
        ["documentation_url"] = "https://docs.github.com/rest",
    };

    public void AddUser(string login, string token, params string[] scopes)
    {
        lock (Sync)
        {
            _accounts[login] = "User";
            _tokens[token] = (login, scopes);
        }
    }

    public void AddOrganization(string login)
    {
        lock (Sync) _accounts[login] = "Organization";
    }

    /// <summary>A repository that exists before the test runs (its bare repository too).</summary>
    public FakeGitHubRepository AddRepository(string fullName, string visibility = "private")
    {
        lock (Sync)
        {
            var (owner, name) = Split(fullName);
            return CreateRepository(owner, name, visibility);
        }
    }

    public FakeGitHubRepository? Repository(string fullName)
    {
        lock (Sync) return _repos.GetValueOrDefault(fullName);
    }

    public IReadOnlyList<FakeGitHubRepository> Repositories
    {
        get { lock (Sync) return [.. _repos.Values]; }
    }

    /// <summary>
    /// Makes <paramref name="server"/> refuse, as GitHub does, a push to a repository under
    /// <paramref name="pathPrefix"/> (the PATH_INFO prefix, e.g. "/github") that adds or changes a file
    /// under .github/workflows/ with a token lacking the <c>workflow</c> scope, with GitHub's message
    /// as the ref's rejection reason ("! [remote rejected] main -> main (refusing to allow …)").
    /// </summary>
    /// <remarks>
    /// A pre-receive hook can only say "pre-receive hook declined"; a proc-receive hook reports its
    /// own reason per ref. It is switched on per request, through the backend's environment, only
    /// for tokens without the scope; the hook then also makes the updates it accepts itself.
    /// </remarks>
    public void EnforceWorkflowScope(GitHttpServer server, string pathPrefix = "")
    {
        var hooks = Path.Combine(ProjectRoot, ".fake-hooks");
        Directory.CreateDirectory(hooks);
        var hook = Path.Combine(hooks, "proc-receive");
        File.WriteAllText(hook, WorkflowScopeHook.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        server.BackendEnvironment = (pathInfo, token) =>
        {
            if (!pathInfo.StartsWith(pathPrefix + "/", StringComparison.Ordinal)) return null;
            lock (Sync)
            {
                if (token is not null && _tokens.TryGetValue(token, out var owner) && owner.Scopes.Contains("workflow")) return null;
            }
            return new Dictionary<string, string>
            {
                ["GIT_CONFIG_COUNT"] = "2",
                ["GIT_CONFIG_KEY_0"] = "receive.procReceiveRefs",
                ["GIT_CONFIG_VALUE_0"] = "refs/",
                ["GIT_CONFIG_KEY_1"] = "core.hooksPath",
                ["GIT_CONFIG_VALUE_1"] = hooks,
            };
        };
    }

    // proc-receive protocol (githooks(5)): pkt-lines in, "ok <ref>" / "ng <ref> <reason>" out. The
    // version line carries capabilities after a NUL (git's pushes are atomic): dd reads exact byte
    // counts and tr turns the NUL into a space, which bash's read -N would silently drop.
    private const string WorkflowScopeHook = """
        #!/bin/bash
        read_pkt() {
          local len
          IFS= read -r -N 4 len || return 2
          [ "$len" = 0000 ] && return 1
          PKT=$(dd bs=1 count=$((16#$len - 4)) 2>/dev/null | tr '\0' ' ') || return 2
          PKT=${PKT%$'\n'}
        }
        write_pkt() { printf '%04x%s\n' $(( ${#1} + 5 )) "$1"; }
        while read_pkt; do :; done
        write_pkt "version=1"
        printf 0000
        commands=()
        while read_pkt; do commands+=("$PKT"); done
        zero=0000000000000000000000000000000000000000
        for command in "${commands[@]}"; do
          read -r old new ref <<<"$command"
          if [ "$new" = "$zero" ]; then
            git update-ref -d "$ref" "$old" && write_pkt "ok $ref" || write_pkt "ng $ref failed to delete"
            continue
          fi
          if [ "$old" = "$zero" ]; then range=("$new" --not --all); else range=("$old..$new"); fi
          file=$(git log --format= --name-only "${range[@]}" -- .github/workflows | head -n 1)
          if [ -n "$file" ]; then
            write_pkt "ng $ref refusing to allow a Personal Access Token to create or update workflow \`$file\` without \`workflow\` scope"
          elif git update-ref "$ref" "$new" "${old/#$zero/}"; then
            write_pkt "ok $ref"
          else
            write_pkt "ng $ref failed to update ref"
          fi
        done
        printf 0000

        """;

    protected override bool IsKnownToken(string token)
    {
        lock (Sync) return IsAppCredential(token) ?? _tokens.ContainsKey(token);
    }

    protected override void AddCommonHeaders(HttpResponse response, string token)
    {
        if (!AddAppHeaders(response, token)) return;
        response.Headers["X-OAuth-Scopes"] = string.Join(", ", _tokens[token].Scopes);
        response.Headers["X-Accepted-OAuth-Scopes"] = "";
        response.Headers["X-GitHub-Media-Type"] = "github.v3; format=json";
    }

    protected override FakeResponse Handle(string method, string path, IReadOnlyDictionary<string, string> query, JsonObject? body, string token, HttpResponse response)
    {
        var segments = path.Trim('/').Split('/').Select(Decode).ToArray();
        if (HandleApp(method, segments, token) is { } appAnswer) return appAnswer;
        var login = _tokens[token].Login;
        return (method, segments) switch
        {
            ("GET", ["user"]) => FakeResponse.Json(Account(login)),
            ("GET", ["orgs", var org, "repos"]) => _accounts.GetValueOrDefault(org) == "Organization" ? ListRepositories(org, query, response) : NotFound(),
            ("GET", ["users", var name, "repos"]) => _accounts.ContainsKey(name) ? ListRepositories(name, query, response) : NotFound(),
            ("GET", ["users", var name]) => _accounts.ContainsKey(name) ? FakeResponse.Json(Account(name)) : NotFound(),
            ("POST", ["orgs", var org, "repos"]) => _accounts.GetValueOrDefault(org) == "Organization" ? Create(org, body) : NotFound(),
            ("POST", ["user", "repos"]) => Create(login, body),
            ("GET", ["repos", var o, var r]) => _repos.TryGetValue($"{o}/{r}", out var repo) ? FakeResponse.Json(RepoJson(repo)) : NotFound(),
            ("GET", ["repos", var o, var r, "actions", "secrets", "public-key"]) => WithRepo(o, r, _ =>
                FakeResponse.Json(new JsonObject { ["key_id"] = PublicKeyId, ["key"] = Convert.ToBase64String(_keyPair.PublicKey) })),
            ("PUT", ["repos", var o, var r, "actions", "secrets", var name]) => WithRepo(o, r, repo => PutSecret(repo, name, body)),
            ("GET", ["repos", var o, var r, "actions", "secrets", var name]) => WithRepo(o, r, repo => repo.Secrets.ContainsKey(name)
                ? FakeResponse.Json(new JsonObject { ["name"] = name.ToUpperInvariant(), ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z" })
                : NotFound()),
            ("DELETE", ["repos", var o, var r, "actions", "secrets", var name]) => WithRepo(o, r, repo => repo.Secrets.Remove(name) ? FakeResponse.Empty() : NotFound()),
            ("GET", ["repos", var o, var r, "keys"]) => WithRepo(o, r, repo => FakeResponse.Json(new JsonArray([.. repo.DeployKeys.Select(k => (JsonNode)DeployKeyJson(repo, k))]))),
            ("POST", ["repos", var o, var r, "keys"]) => WithRepo(o, r, repo => AddDeployKey(repo, body, login)),
            ("DELETE", ["repos", var o, var r, "keys", var id]) => WithRepo(o, r, repo =>
                repo.DeployKeys.RemoveAll(k => k.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == id) > 0 ? FakeResponse.Empty() : NotFound()),
            ("GET", ["repos", var o, var r, "actions", "variables", var name]) => WithRepo(o, r, repo =>
                repo.Variables.TryGetValue(name, out var value) ? FakeResponse.Json(VariableJson(name, value)) : NotFound()),
            ("POST", ["repos", var o, var r, "actions", "variables"]) => WithRepo(o, r, repo => CreateVariable(repo, body)),
            ("GET", ["repos", var o, var r, "hooks"]) => WithRepo(o, r, repo => FakeResponse.Json(new JsonArray([.. repo.Hooks.Select(h => (JsonNode)HookJson(repo, h))]))),
            ("POST", ["repos", var o, var r, "hooks"]) => WithRepo(o, r, repo => WriteHook(repo, null, body)),
            ("PATCH", ["repos", var o, var r, "hooks", var id]) => WithRepo(o, r, repo => WriteHook(repo, id, body)),
            ("POST", ["repos", var o, var r, "issues"]) => WithRepo(o, r, repo =>
            {
                var issue = new FakeIssue
                {
                    Number = repo.Issues.Count + 1, Title = body?["title"]?.GetValue<string>() ?? "",
                    Body = body?["body"]?.GetValue<string>() ?? "", Labels = FakeIssue.LabelsOf(body?["labels"]),
                };
                repo.Issues.Add(issue);
                return FakeResponse.Json(IssueJson(repo, issue), 201);
            }),
            ("GET", ["repos", var o, var r, "issues"]) => WithRepo(o, r, repo =>
                FakeResponse.Json(new JsonArray([.. FakeIssue.Filter(repo.Issues, query, "open").Select(i => (JsonNode)IssueJson(repo, i))]))),
            ("PATCH", ["repos", var o, var r, "issues", var n]) => WithRepo(o, r, repo => WithIssue(repo, n, issue =>
            {
                if (body?["state"]?.GetValue<string>() is { } state) issue.Open = state == "open";
                return FakeResponse.Json(IssueJson(repo, issue));
            })),
            ("POST", ["repos", var o, var r, "issues", var n, "comments"]) => WithRepo(o, r, repo => WithIssue(repo, n, issue =>
            {
                issue.Comments.Add(body?["body"]?.GetValue<string>() ?? "");
                return FakeResponse.Json(new JsonObject
                {
                    ["id"] = issue.Number * 1000 + issue.Comments.Count, ["body"] = issue.Comments[^1],
                    ["html_url"] = $"https://github.example/{repo.FullName}/issues/{issue.Number}#c", ["created_at"] = "2024-01-01T00:00:00Z",
                }, 201);
            })),
            ("PATCH", ["repos", var o, var r, "actions", "variables", var name]) => WithRepo(o, r, repo =>
            {
                if (!repo.Variables.ContainsKey(name)) return NotFound();
                repo.Variables[name] = body?["value"]?.GetValue<string>() ?? repo.Variables[name];
                return FakeResponse.Empty();
            }),
            _ => NotFound(),
        };
    }

    private FakeResponse Create(string owner, JsonObject? body)
    {
        var name = body?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name)) return Invalid("Repository", "name", "missing_field", "name is missing");
        if (_repos.ContainsKey($"{owner}/{name}"))
        {
            return Invalid("Repository", "name", "custom", "name already exists on this account");
        }
        var visibility = body?["visibility"]?.GetValue<string>()
            ?? (body?["private"]?.GetValue<bool>() == true ? "private" : "public");
        if (visibility == "internal" && _accounts.GetValueOrDefault(owner) != "Organization")
        {
            return Invalid("Repository", "visibility", "invalid", "visibility can only be internal for organizations of an enterprise");
        }
        return FakeResponse.Json(RepoJson(CreateRepository(owner, name, visibility)), 201);
    }

    private FakeGitHubRepository CreateRepository(string owner, string name, string visibility)
    {
        var repo = new FakeGitHubRepository
        {
            Owner = owner, Name = name, Visibility = visibility, BarePath = CreateBareRepository($"{owner}/{name}"),
        };
        _repos[repo.FullName] = repo;
        return repo;
    }

    private FakeResponse PutSecret(FakeGitHubRepository repo, string name, JsonObject? body)
    {
        if (!SecretName().IsMatch(name) || name.StartsWith("GITHUB_", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid("Secret", "name", "invalid", "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), and must not start with GITHUB_ or a number.");
        }
        if (body?["key_id"]?.GetValue<string>() != PublicKeyId)
        {
            return FakeResponse.Message(422, "Bad request - key_id is invalid.");
        }
        byte[] plain;
        try
        {
            plain = Sodium.SealedPublicKeyBox.Open(Convert.FromBase64String(body?["encrypted_value"]?.GetValue<string>() ?? ""), _keyPair);
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return FakeResponse.Message(422, "Bad request - encrypted_value could not be decrypted.");
        }
        var existed = repo.Secrets.ContainsKey(name);
        repo.Secrets[name] = Encoding.UTF8.GetString(plain);
        return existed ? FakeResponse.Empty(204) : FakeResponse.Json(new JsonObject(), 201);
    }

    /// <summary>
    /// POST /repos/{o}/{r}/keys as GitHub answers it: 422 for a malformed key, and for a key already
    /// in use anywhere on GitHub (a deploy key belongs to one repository).
    /// </summary>
    private FakeResponse AddDeployKey(FakeGitHubRepository repo, JsonObject? body, string login)
    {
        var key = FakeDeployKey.Normalize(body?["key"]?.GetValue<string>());
        if (key is null) return Invalid("PublicKey", "key", "custom", "key is invalid. You must supply a key in OpenSSH public key format");
        if (_repos.Values.Any(r => r.DeployKeys.Any(k => k.Key == key))) return Invalid("PublicKey", "key", "custom", "key is already in use");
        var title = body?["title"]?.GetValue<string>() ?? "";
        var readOnly = body?["read_only"]?.GetValue<bool>() ?? true; // GitHub's default: read-only
        var added = new FakeDeployKey(Interlocked.Increment(ref _nextHookId), title, key, !readOnly, login);
        repo.DeployKeys.Add(added);
        return FakeResponse.Json(DeployKeyJson(repo, added), 201);
    }

    private JsonObject DeployKeyJson(FakeGitHubRepository repo, FakeDeployKey k) => new()
    {
        ["id"] = k.Id,
        ["key"] = k.Key,
        ["url"] = $"{ApiUrl}/repos/{repo.FullName}/keys/{k.Id}",
        ["title"] = k.Title,
        ["verified"] = true,
        ["created_at"] = "2024-01-01T00:00:00Z",
        ["read_only"] = !k.CanPush,
        ["added_by"] = k.AddedBy,
        ["last_used"] = null,
        ["enabled"] = true,
    };

    private static FakeResponse CreateVariable(FakeGitHubRepository repo, JsonObject? body)
    {
        var name = body?["name"]?.GetValue<string>() ?? "";
        if (!SecretName().IsMatch(name) || name.StartsWith("GITHUB_", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid("Variable", "name", "invalid", "Variable names can only contain alphanumeric characters or underscores, and must not start with GITHUB_ or a number.");
        }
        if (repo.Variables.ContainsKey(name)) return FakeResponse.Message(409, "Already exists - Variable already exists");
        repo.Variables[name] = body?["value"]?.GetValue<string>() ?? "";
        return FakeResponse.Json(new JsonObject(), 201);
    }

    /// <summary>POST /repos/{o}/{r}/hooks and PATCH /repos/{o}/{r}/hooks/{id}, with GitHub's 422 for a second hook to the same URL.</summary>
    private FakeResponse WriteHook(FakeGitHubRepository repo, string? id, JsonObject? body)
    {
        var existing = id is null ? null : repo.Hooks.FirstOrDefault(h => h.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == id);
        if (id is not null && existing is null) return NotFound();
        var config = body?["config"] as JsonObject;
        var url = config?["url"]?.GetValue<string>() ?? existing?.Url;
        if (string.IsNullOrEmpty(url)) return Invalid("Hook", "url", "missing_field", "url is missing");
        if (repo.Hooks.Any(h => h != existing && h.Url == url)) return Invalid("Hook", "", "custom", "Hook already exists on this repository");
        if (id is null && body?["name"]?.GetValue<string>() is { } name && name != "web") return Invalid("Hook", "name", "invalid", "name is invalid");
        var events = body?["events"] is JsonArray list ? [.. list.Select(e => e!.GetValue<string>())] : existing?.Events ?? ["push"];
        var hook = new FakeGitHubHook(existing?.Id ?? Interlocked.Increment(ref _nextHookId), url,
            config?["content_type"]?.GetValue<string>() ?? existing?.ContentType ?? "form",
            config?["secret"]?.GetValue<string>() ?? existing?.Secret,
            config?["insecure_ssl"]?.ToString() ?? existing?.InsecureSsl ?? "0",
            body?["active"]?.GetValue<bool>() ?? existing?.Active ?? true, events);
        if (existing is null) repo.Hooks.Add(hook);
        else repo.Hooks[repo.Hooks.IndexOf(existing)] = hook;
        return FakeResponse.Json(HookJson(repo, hook), existing is null ? 201 : 200);
    }

    private long _nextHookId = 12345678;

    private JsonObject HookJson(FakeGitHubRepository repo, FakeGitHubHook hook) => new()
    {
        ["type"] = "Repository",
        ["id"] = hook.Id,
        ["name"] = "web",
        ["active"] = hook.Active,
        ["events"] = new JsonArray([.. hook.Events.Select(e => (JsonNode)JsonValue.Create(e)!)]),
        ["config"] = new JsonObject
        {
            ["url"] = hook.Url,
            ["content_type"] = hook.ContentType,
            ["insecure_ssl"] = hook.InsecureSsl,
            // GitHub never returns a secret, only that there is one.
            ["secret"] = hook.Secret is null ? null : "********",
        },
        ["updated_at"] = "2024-01-01T00:00:00Z",
        ["created_at"] = "2024-01-01T00:00:00Z",
        ["url"] = $"{ApiUrl}/repos/{repo.FullName}/hooks/{hook.Id}",
        ["test_url"] = $"{ApiUrl}/repos/{repo.FullName}/hooks/{hook.Id}/test",
        ["ping_url"] = $"{ApiUrl}/repos/{repo.FullName}/hooks/{hook.Id}/pings",
        ["last_response"] = new JsonObject { ["code"] = null, ["status"] = "unused", ["message"] = null },
    };

    private FakeResponse WithRepo(string owner, string name, Func<FakeGitHubRepository, FakeResponse> then) =>
        _repos.TryGetValue($"{owner}/{name}", out var repo) ? then(repo) : NotFound();

    private JsonObject Account(string login) => new()
    {
        ["login"] = login,
        ["id"] = Math.Abs(login.GetHashCode(StringComparison.OrdinalIgnoreCase)),
        ["type"] = _accounts.GetValueOrDefault(login, "User"),
    };

    private JsonObject RepoJson(FakeGitHubRepository repo) => new()
    {
        ["archived"] = repo.Archived,
        ["fork"] = repo.Fork,
        ["id"] = Math.Abs(repo.FullName.GetHashCode(StringComparison.OrdinalIgnoreCase)),
        ["name"] = repo.Name,
        ["full_name"] = repo.FullName,
        ["owner"] = Account(repo.Owner),
        ["private"] = repo.Visibility != "public",
        ["visibility"] = repo.Visibility,
        ["default_branch"] = "main",
        ["url"] = $"{ApiUrl}/repos/{repo.FullName}",
        ["ssh_url"] = SshBaseUrl is null ? $"git@github.example:{repo.FullName}.git" : $"{SshBaseUrl.TrimEnd('/')}/{repo.FullName}.git",
    };

    private static JsonObject VariableJson(string name, string value) => new()
    {
        ["name"] = name,
        ["value"] = value,
        ["created_at"] = "2024-01-01T00:00:00Z",
        ["updated_at"] = "2024-01-01T00:00:00Z",
    };

    private static FakeResponse WithIssue(FakeGitHubRepository repo, string number, Func<FakeIssue, FakeResponse> then) =>
        repo.Issues.FirstOrDefault(i => i.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) == number) is { } issue ? then(issue) : NotFound();

    private static JsonObject IssueJson(FakeGitHubRepository repo, FakeIssue issue) => new()
    {
        ["id"] = 5000 + issue.Number,
        ["number"] = issue.Number,
        ["title"] = issue.Title,
        ["body"] = issue.Body,
        ["state"] = issue.Open ? "open" : "closed",
        ["labels"] = new JsonArray([.. issue.Labels.Select(l => (JsonNode)new JsonObject { ["name"] = l })]),
        ["html_url"] = $"https://github.example/{repo.FullName}/issues/{issue.Number}",
        ["url"] = $"https://api.github.example/repos/{repo.FullName}/issues/{issue.Number}",
        ["created_at"] = "2024-01-01T00:00:00Z",
    };

    private static FakeResponse NotFound() => FakeResponse.Json(new JsonObject
    {
        ["message"] = "Not Found",
        ["documentation_url"] = "https://docs.github.com/rest",
        ["status"] = "404",
    }, 404);

    private static FakeResponse Invalid(string resource, string field, string code, string message) => FakeResponse.Json(new JsonObject
    {
        ["message"] = "Validation Failed",
        ["errors"] = new JsonArray(new JsonObject { ["resource"] = resource, ["code"] = code, ["field"] = field, ["message"] = message }),
        ["documentation_url"] = "https://docs.github.com/rest",
    }, 422);

    private static (string Owner, string Name) Split(string fullName)
    {
        var slash = fullName.IndexOf('/');
        return (fullName[..slash], fullName[(slash + 1)..]);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex SecretName();
}
