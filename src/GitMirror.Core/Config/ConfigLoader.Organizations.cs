using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GitMirror.Core.Config;

/// <summary>The <c>organizations:</c> list and <c>organizationRefreshMinutes</c> of repos.yaml.</summary>
public static partial class ConfigLoader
{
    private static readonly string[] OrganizationKeys = ["github", "gitlab", "include", "exclude", "onDivergence", "refs"];

    /// <summary>How long a cached organisation listing is used without asking the forge (<c>organizationRefreshMinutes</c>).</summary>
    public const int DefaultOrganizationRefreshMinutes = 10;

    private static TimeSpan ParseOrganizationRefresh(Reader reader, YamlMappingNode root)
    {
        if (reader.Child(root, "organizationRefreshMinutes") is not { } node) return TimeSpan.FromMinutes(DefaultOrganizationRefreshMinutes);
        var text = reader.Scalar(node, "organizationRefreshMinutes").Trim();
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minutes) || minutes > 7 * 24 * 60)
        {
            throw reader.Error(node, "organizationRefreshMinutes", $"'{text}' is not a number of minutes from 0 to 10080 (0: list at every run)");
        }
        return TimeSpan.FromMinutes(minutes);
    }

    private static List<OrganizationRule> ParseOrganizations(Reader reader, YamlMappingNode root, MirrorDivergencePolicy defaultPolicy, MirrorRefRules defaultRefRules)
    {
        var rules = new List<OrganizationRule>();
        if (reader.Child(root, "organizations") is not { } node) return rules;
        if (node is not YamlSequenceNode list)
        {
            throw reader.Error(node, "organizations", "must be a list of organisations (each with 'github:' and 'gitlab:')");
        }
        if (list.Children.Count == 0) throw reader.Error(node, "organizations", "is empty: list at least one organisation, or remove the key");

        var githubNames = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var gitlabGroups = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < list.Children.Count; i++)
        {
            var key = $"organizations[{i}]";
            var item = reader.Mapping(list.Children[i], key);
            reader.RejectUnknownKeys(item, OrganizationKeys, key);
            var github = OrganizationName(reader, item, "github", key, GitHubOwner(), "a GitHub organisation or user name (no '/')");
            var gitlab = OrganizationName(reader, item, "gitlab", key, GitLabGroup(), "a GitLab group's full path (group[/subgroup…])");
            reader.Unique(githubNames, github, reader.Child(item, "github")!, $"{key}.github", "GitHub organisation");
            reader.Unique(gitlabGroups, gitlab, reader.Child(item, "gitlab")!, $"{key}.gitlab", "GitLab group");
            var include = reader.Child(item, "include") is { } includeNode ? Globs(reader, includeNode, $"{key}.include") : ["*"];
            var exclude = reader.Child(item, "exclude") is { } excludeNode ? Globs(reader, excludeNode, $"{key}.exclude") : [];
            var policy = reader.Child(item, "onDivergence") is { } p ? reader.Policy(p, $"{key}.onDivergence") : defaultPolicy;
            var refRules = reader.Child(item, "refs") is { } r ? reader.RefRules(r, $"{key}.refs") : defaultRefRules;
            rules.Add(new OrganizationRule
            {
                GitHub = github,
                GitLab = gitlab,
                Include = include,
                Exclude = exclude,
                OnDivergence = policy,
                RefRules = refRules,
                Line = (int)item.Start.Line,
            });
        }
        return rules;
    }

    private static string OrganizationName(Reader reader, YamlMappingNode item, string side, string parent, Regex shape, string what)
    {
        var key = $"{parent}.{side}";
        var node = reader.Child(item, side) ?? throw reader.Error(item, key, "missing: every organisation needs both 'github:' (the organisation or user) and 'gitlab:' (the group)");
        var value = reader.Scalar(node, key).Trim().Trim('/');
        if (value.Length == 0) throw reader.Error(node, key, "must not be empty");
        if (!shape.IsMatch(value) || value.Split('/').Any(s => s is "." or ".."))
        {
            throw reader.Error(node, key, $"'{value}' is not {what}");
        }
        return value;
    }

    private static List<string> Globs(Reader reader, YamlNode node, string key)
    {
        // A single glob is accepted as well as a list.
        var items = node switch
        {
            YamlSequenceNode seq => seq.Children.ToList(),
            YamlScalarNode => [node],
            _ => throw reader.Error(node, key, "must be a list of globs such as ['service-*']"),
        };
        if (items.Count == 0) throw reader.Error(node, key, "is empty: give at least one glob, or remove the key");
        var globs = new List<string>();
        foreach (var child in items)
        {
            var glob = reader.Scalar(child, key).Trim();
            if (Organizations.NameGlob.Problem(glob) is { } problem) throw reader.Error(child, key, problem);
            globs.Add(glob);
        }
        return globs;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex GitHubOwner();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")]
    private static partial Regex GitLabGroup();
}
