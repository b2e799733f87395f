using YamlDotNet.RepresentationModel;

namespace GitMirror.Core.Config;

public static partial class ConfigLoader
{
    private static readonly string[] RefRuleKeys = ["match", "kind", "direction"];

    private sealed partial class Reader
    {
        /// <summary>
        /// A <c>refs:</c> list (top level, a pair's, or any other place that takes one) as an
        /// immutable rule list in config order; every problem names the line and the key.
        /// </summary>
        public MirrorRefRules RefRules(YamlNode node, string key)
        {
            if (node is not YamlSequenceNode list)
            {
                throw Error(node, key, "must be a list of rules, each with 'match:' (and optionally 'kind:' and 'direction:')");
            }
            if (list.Children.Count == 0)
            {
                throw Error(node, key, "is empty: list at least one rule (leave 'refs:' out to mirror every branch and tag both ways)");
            }
            var rules = new List<MirrorRefRule>(list.Children.Count);
            for (var i = 0; i < list.Children.Count; i++)
            {
                var ruleKey = $"{key}[{i}]";
                var item = Mapping(list.Children[i], ruleKey);
                RejectUnknownKeys(item, RefRuleKeys, ruleKey);

                var matchNode = Child(item, "match") ?? throw Error(item, $"{ruleKey}.match", "missing: every rule needs 'match:' (a glob such as main, 'release/**' or '**')");
                var match = matchNode is YamlScalarNode { Value: null } ? "" : Scalar(matchNode, $"{ruleKey}.match").Trim();
                if (MirrorRefGlob.Problem(match) is { } problem) throw Error(matchNode, $"{ruleKey}.match", problem);

                var kind = Child(item, "kind") is { } kindNode
                    ? Scalar(kindNode, $"{ruleKey}.kind").Trim() switch
                    {
                        "any" => (MirrorRefKind?)null,
                        "branch" => MirrorRefKind.Branch,
                        "tag" => MirrorRefKind.Tag,
                        var other => throw Error(kindNode, $"{ruleKey}.kind", $"'{other}' is not a kind (use branch, tag or any)"),
                    }
                    : null;
                var direction = Child(item, "direction") is { } directionNode
                    ? Scalar(directionNode, $"{ruleKey}.direction").Trim() switch
                    {
                        "both" => (MirrorDirection?)MirrorDirection.Both,
                        "github-to-gitlab" => MirrorDirection.GitHubToGitLab,
                        "gitlab-to-github" => MirrorDirection.GitLabToGitHub,
                        "none" => null,
                        var other => throw Error(directionNode, $"{ruleKey}.direction",
                            $"'{other}' is not a direction (use both, github-to-gitlab, gitlab-to-github or none)"),
                    }
                    : MirrorDirection.Both;
                rules.Add(new MirrorRefRule { Match = match, Kind = kind, Direction = direction, Line = (int)item.Start.Line });
            }
            return new MirrorRefRules(rules);
        }
    }
}
