using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace GitMirror.Core.Config;

public static partial class ConfigLoader
{
    private static readonly string[] NotifyKeys = ["kind", "url", "urlEnv", "secretEnv", "events", "allowInsecureHttp"];

    /// <summary>The top-level notification keys; every problem names the entry and key, never the URL (it may hold a secret).</summary>
    private static NotifySettings ReadNotify(Reader reader, YamlMappingNode root)
    {
        var targets = new List<NotifyTarget>();
        if (reader.Child(root, "notify") is { } notifyNode && notifyNode is not YamlScalarNode { Value: null or "" })
        {
            if (notifyNode is not YamlSequenceNode list)
            {
                throw reader.Error(notifyNode, "notify", "must be a list of entries (each with 'kind:' and 'url:' or 'urlEnv:')");
            }
            for (var i = 0; i < list.Children.Count; i++) targets.Add(ReadNotifyTarget(reader, list.Children[i], i));
        }
        return new NotifySettings
        {
            Targets = targets,
            FailureThreshold = PositiveInt(reader, root, "failureThreshold", NotifySettings.DefaultFailureThreshold),
            TokenExpiryWarningDays = PositiveInt(reader, root, "tokenExpiryWarningDays", NotifySettings.DefaultTokenExpiryWarningDays),
            OpenIssues = reader.Child(root, "openIssues") is { } issuesNode && reader.Boolean(issuesNode, "openIssues"),
        };
    }

    private static NotifyTarget ReadNotifyTarget(Reader reader, YamlNode node, int index)
    {
        var key = $"notify[{index}]";
        var map = reader.Mapping(node, key);
        reader.RejectUnknownKeys(map, NotifyKeys, key);

        var kindNode = reader.Child(map, "kind") ?? throw reader.Error(map, $"{key}.kind", "missing: say 'kind: webhook' or 'kind: slack'");
        var kind = reader.Scalar(kindNode, $"{key}.kind").Trim() switch
        {
            "webhook" => NotifyKind.Webhook,
            "slack" => NotifyKind.Slack,
            var other => throw reader.Error(kindNode, $"{key}.kind", $"'{other}' is not a kind of notification (use webhook or slack)"),
        };

        var allowInsecure = reader.Child(map, "allowInsecureHttp") is { } insecureNode && reader.Boolean(insecureNode, $"{key}.allowInsecureHttp");
        var urlNode = reader.Child(map, "url");
        var urlEnvNode = reader.Child(map, "urlEnv");
        if (urlNode is not null && urlEnvNode is not null)
        {
            throw reader.Error(urlEnvNode, $"{key}.urlEnv", "give either 'url:' or 'urlEnv:', not both");
        }
        if (urlNode is null && urlEnvNode is null)
        {
            throw reader.Error(map, $"{key}.url", "missing: give 'urlEnv:' (the environment variable holding the URL, preferred since the URL may be a secret) or 'url:'");
        }
        string? url = null;
        if (urlNode is not null)
        {
            url = reader.Scalar(urlNode, $"{key}.url").Trim();
            if (Notify.NotifyUrls.Problem(url, allowInsecure, $"{key}.allowInsecureHttp") is { } problem)
            {
                throw reader.Error(urlNode, $"{key}.url", problem);
            }
        }
        var urlEnv = urlEnvNode is null ? null : EnvNameAt(reader, urlEnvNode, $"{key}.urlEnv", "URL");
        var secretEnv = reader.Child(map, "secretEnv") is { } secretNode ? EnvNameAt(reader, secretNode, $"{key}.secretEnv", "secret") : null;
        if (secretEnv is not null && kind == NotifyKind.Slack)
        {
            throw reader.Error(reader.Child(map, "secretEnv")!, $"{key}.secretEnv", "Slack does not check signatures: 'secretEnv:' is for 'kind: webhook' only");
        }

        var events = new HashSet<string>(StringComparer.Ordinal);
        if (reader.Child(map, "events") is { } eventsNode)
        {
            if (eventsNode is not YamlSequenceNode eventList || eventList.Children.Count == 0)
            {
                throw reader.Error(eventsNode, $"{key}.events", $"must be a list of events: {string.Join(", ", NotifyEvents.All)}");
            }
            foreach (var item in eventList.Children)
            {
                var name = reader.Scalar(item, $"{key}.events").Trim();
                if (!NotifyEvents.All.Contains(name, StringComparer.Ordinal))
                {
                    throw reader.Error(item, $"{key}.events", $"'{name}' is not an event (use {string.Join(", ", NotifyEvents.All)})");
                }
                events.Add(name);
            }
        }
        else
        {
            events.UnionWith(NotifyEvents.All);
        }

        return new NotifyTarget
        {
            Index = index,
            Kind = kind,
            Url = url,
            UrlEnv = urlEnv,
            SecretEnv = secretEnv,
            Events = events,
            AllowInsecureHttp = allowInsecure,
        };
    }

    private static string EnvNameAt(Reader reader, YamlNode node, string key, string what)
    {
        var name = reader.Scalar(node, key).Trim();
        if (!EnvName().IsMatch(name))
        {
            // Not echoed: someone who put the value itself here would see it printed.
            throw reader.Error(node, key, $"is not an environment variable name (name the variable that holds the {what}, never the {what} itself)");
        }
        return name;
    }

    private static int PositiveInt(Reader reader, YamlMappingNode root, string key, int fallback)
    {
        if (reader.Child(root, key) is not { } node) return fallback;
        var text = reader.Scalar(node, key).Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw reader.Error(node, key, $"'{text}' is not a whole number of at least 1");
        }
        return value;
    }
}
