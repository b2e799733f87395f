namespace GitMirror.HelpGen;

public sealed record ParameterDoc(
    string Name,
    IReadOnlyList<Block> Description,
    string Type,
    IReadOnlyList<string> ParameterSets,
    string Aliases,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Wildcards)
{
    public bool IsSwitch => Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase);

    public bool InAllSets => ParameterSets.Count == 0 || ParameterSets.Contains("(All)");
}

public sealed record ExampleDoc(string Title, string Code, IReadOnlyList<Block> Remarks);

public sealed record TypeDoc(string Name, IReadOnlyList<Block> Description);

/// <summary>One cmdlet's help, read from docs/&lt;Cmdlet&gt;.md (the shape docs/README.md describes).</summary>
public sealed record CommandDoc(
    string Name,
    string Synopsis,
    IReadOnlyList<Block> Description,
    IReadOnlyList<ExampleDoc> Examples,
    IReadOnlyList<ParameterDoc> Parameters,
    IReadOnlyList<TypeDoc> Inputs,
    IReadOnlyList<TypeDoc> Outputs,
    IReadOnlyList<Block> Notes,
    IReadOnlyList<string> RelatedLinks)
{
    public string Verb => Name.Split('-')[0];

    public string Noun => Name.Split('-', 2)[1];

    /// <summary>
    /// The parameter sets in the order their names first appear; one unnamed set when no
    /// parameter names any. Syntax is built from these, so the markdown never repeats it.
    /// </summary>
    public IReadOnlyList<string> ParameterSetNames
    {
        get
        {
            var names = Parameters.SelectMany(p => p.ParameterSets).Where(s => s != "(All)").Distinct().ToList();
            return names.Count == 0 ? [""] : names;
        }
    }

    public IEnumerable<ParameterDoc> ParametersOf(string set) =>
        Parameters.Where(p => set.Length == 0 || p.InAllSets || p.ParameterSets.Contains(set))
            .OrderBy(p => int.TryParse(p.Position, out var position) ? position : int.MaxValue);

    public static CommandDoc Parse(string file)
    {
        var root = Markdown.Parse(File.ReadAllText(file));
        var title = root.Children.FirstOrDefault(s => s.Level == 1) ?? throw new HelpFormatException(file, 1, "the file needs a '# Verb-Noun' heading");
        Section Required(string name) =>
            title.Children.FirstOrDefault(s => s.Title.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new HelpFormatException(file, title.Line, $"missing section '## {name}'");
        Section? Optional(string name) => title.Children.FirstOrDefault(s => s.Title.Equals(name, StringComparison.OrdinalIgnoreCase));

        var synopsis = Required("SYNOPSIS").Blocks.FirstOrDefault()?.Text
            ?? throw new HelpFormatException(file, Required("SYNOPSIS").Line, "the synopsis is empty");
        var examples = Required("EXAMPLES").Children.Select(e => ParseExample(file, e)).ToList();
        if (examples.Count == 0) throw new HelpFormatException(file, Required("EXAMPLES").Line, "at least one '### Example' is needed");

        return new CommandDoc(
            title.Title,
            synopsis,
            Required("DESCRIPTION").Blocks,
            examples,
            Required("PARAMETERS").Children.Where(p => p.Title.StartsWith('-')).Select(p => ParseParameter(file, p)).ToList(),
            TypesOf(Optional("INPUTS")),
            TypesOf(Optional("OUTPUTS")),
            Optional("NOTES")?.Blocks ?? [],
            Optional("RELATED LINKS")?.Blocks.Select(b => Markdown.Plain(b.Text)).ToList() ?? []);
    }

    private static List<TypeDoc> TypesOf(Section? section) =>
        section?.Children.Select(t => new TypeDoc(t.Title, t.Blocks)).ToList() ?? [];

    private static ExampleDoc ParseExample(string file, Section example)
    {
        var code = example.Blocks.FirstOrDefault(b => b.Kind == BlockKind.Code)
            ?? throw new HelpFormatException(file, example.Line, $"example '{example.Title}' has no code block");
        return new ExampleDoc(example.Title, code.Text, example.Blocks.Where(b => b != code).ToList());
    }

    private static ParameterDoc ParseParameter(string file, Section parameter)
    {
        var metadata = parameter.Blocks.LastOrDefault(b => b.Kind == BlockKind.Code && b.Language == "yaml")
            ?? throw new HelpFormatException(file, parameter.Line, $"parameter '{parameter.Title}' has no ```yaml block");
        var fields = metadata.Text.Split('\n')
            .Select(l => l.Split(':', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.OrdinalIgnoreCase);
        string Field(string key) => fields.TryGetValue(key, out var value)
            ? value
            : throw new HelpFormatException(file, parameter.Line, $"parameter '{parameter.Title}' lacks '{key}:'");

        return new ParameterDoc(
            parameter.Title.TrimStart('-'),
            parameter.Blocks.Where(b => b != metadata).ToList(),
            Field("Type"),
            Field("Parameter Sets").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            fields.GetValueOrDefault("Aliases", ""),
            bool.Parse(Field("Required")),
            Field("Position"),
            Field("Default value"),
            Field("Accept pipeline input"),
            bool.Parse(Field("Accept wildcard characters")));
    }
}

public sealed class HelpFormatException(string file, int line, string message)
    : Exception($"{file}({line}): {message}");
