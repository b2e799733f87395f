using GitMirror.HelpGen;

// Usage: GitMirror.HelpGen <docs folder> <module folder> <cmdlet assembly file name>
// Writes <module folder>/<assembly>-Help.xml from docs/<Verb-Noun>.md and
// <module folder>/about_*.help.txt from docs/about_*.md. Exit code 1 names the file and line at fault.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: GitMirror.HelpGen <docs folder> <module folder> <cmdlet assembly file name>");
    return 2;
}
var (docsDir, moduleDir, assemblyFile) = (args[0], args[1], args[2]);
try
{
    var markdownFiles = Directory.GetFiles(docsDir, "*.md").Order(StringComparer.Ordinal).ToList();
    var commandFiles = markdownFiles.Where(f => Path.GetFileName(f).Contains('-'));
    var commands = commandFiles.Select(CommandDoc.Parse).ToList();
    Directory.CreateDirectory(moduleDir);
    using (var maml = new StreamWriter(Path.Combine(moduleDir, assemblyFile + "-Help.xml")))
    {
        MamlWriter.Write(commands, maml);
    }
    foreach (var about in markdownFiles.Where(f => Path.GetFileName(f).StartsWith("about_", StringComparison.Ordinal)))
    {
        var topic = Path.GetFileNameWithoutExtension(about);
        File.WriteAllText(Path.Combine(moduleDir, topic + ".help.txt"), AboutTopicWriter.Render(Markdown.Parse(File.ReadAllText(about))));
    }
    Console.WriteLine($"GitMirror help -> {commands.Count} cmdlets, {Path.GetFullPath(moduleDir)}");
    return 0;
}
catch (HelpFormatException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
