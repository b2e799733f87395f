using System.Text.Json.Nodes;

namespace GitMirror.Testing.Fakes;

/// <summary>An issue as the forge fakes hold it (GitHub's number, GitLab's iid).</summary>
public sealed class FakeIssue
{
    public required long Number { get; init; }
    public required string Title { get; init; }
    public required string Body { get; init; }
    public required string[] Labels { get; init; }
    public bool Open { get; set; } = true;
    public List<string> Comments { get; } = [];

    /// <summary>The issues a list call answers: open or all (state), carrying every label asked for (comma-separated).</summary>
    public static IEnumerable<FakeIssue> Filter(IEnumerable<FakeIssue> issues, IReadOnlyDictionary<string, string> query, string openState)
    {
        var state = query.GetValueOrDefault("state", openState);
        var labels = query.TryGetValue("labels", out var l) ? l.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        return issues.Where(i => (state == "all" || (state == openState) == i.Open) && labels.All(i.Labels.Contains));
    }

    internal static string[] LabelsOf(JsonNode? node) => node switch
    {
        JsonArray array => [.. array.Select(a => a is JsonObject o ? o["name"]!.GetValue<string>() : a!.GetValue<string>())],
        JsonValue value => value.GetValue<string>().Split(',', StringSplitOptions.RemoveEmptyEntries),
        _ => [],
    };
}
