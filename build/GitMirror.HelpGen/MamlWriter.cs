using System.Xml;

namespace GitMirror.HelpGen;

/// <summary>Writes cmdlet help as MAML, the XML Get-Help reads for compiled cmdlets.</summary>
public static class MamlWriter
{
    private const string Msh = "http://msh";
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(IEnumerable<CommandDoc> commands, TextWriter output)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("helpItems", Msh);
        xml.WriteAttributeString("schema", "maml");
        foreach (var command in commands) WriteCommand(xml, command);
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteCommand(XmlWriter xml, CommandDoc doc)
    {
        xml.WriteStartElement("command", "command", Command);
        xml.WriteAttributeString("xmlns", "maml", null, Maml);
        xml.WriteAttributeString("xmlns", "dev", null, Dev);

        xml.WriteStartElement("command", "details", Command);
        xml.WriteElementString("command", "name", Command, doc.Name);
        xml.WriteElementString("command", "verb", Command, doc.Verb);
        xml.WriteElementString("command", "noun", Command, doc.Noun);
        WriteDescription(xml, [new Block(BlockKind.Paragraph, doc.Synopsis)]);
        xml.WriteEndElement();

        WriteDescription(xml, doc.Description);

        xml.WriteStartElement("command", "syntax", Command);
        foreach (var set in doc.ParameterSetNames)
        {
            xml.WriteStartElement("command", "syntaxItem", Command);
            xml.WriteElementString("maml", "name", Maml, doc.Name);
            foreach (var parameter in doc.ParametersOf(set)) WriteParameter(xml, parameter, inSyntax: true);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("command", "parameters", Command);
        foreach (var parameter in doc.Parameters) WriteParameter(xml, parameter, inSyntax: false);
        xml.WriteEndElement();

        WriteTypes(xml, "inputTypes", "inputType", doc.Inputs);
        WriteTypes(xml, "returnValues", "returnValue", doc.Outputs);

        xml.WriteStartElement("maml", "alertSet", Maml);
        xml.WriteStartElement("maml", "alert", Maml);
        WriteParagraphs(xml, doc.Notes);
        xml.WriteEndElement();
        xml.WriteEndElement();

        xml.WriteStartElement("command", "examples", Command);
        var number = 0;
        foreach (var example in doc.Examples)
        {
            number++;
            xml.WriteStartElement("command", "example", Command);
            // Get-Help prints the title as-is; the dashes are how every shipped cmdlet's help looks.
            xml.WriteElementString("maml", "title", Maml, $"--------- {Markdown.Plain(example.Title)} ---------");
            xml.WriteElementString("dev", "code", Dev, example.Code);
            xml.WriteStartElement("dev", "remarks", Dev);
            WriteParagraphs(xml, example.Remarks);
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("command", "relatedLinks", Command);
        foreach (var link in doc.RelatedLinks)
        {
            xml.WriteStartElement("maml", "navigationLink", Maml);
            xml.WriteElementString("maml", "linkText", Maml, link);
            xml.WriteElementString("maml", "uri", Maml, "");
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter xml, ParameterDoc parameter, bool inSyntax)
    {
        xml.WriteStartElement("command", "parameter", Command);
        xml.WriteAttributeString("required", parameter.Required ? "true" : "false");
        xml.WriteAttributeString("variableLength", parameter.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false");
        xml.WriteAttributeString("globbing", parameter.Wildcards ? "true" : "false");
        xml.WriteAttributeString("pipelineInput", parameter.PipelineInput);
        xml.WriteAttributeString("position", parameter.Position.ToLowerInvariant());
        xml.WriteAttributeString("aliases", parameter.Aliases.Length == 0 ? "none" : parameter.Aliases);
        xml.WriteElementString("maml", "name", Maml, parameter.Name);
        WriteDescription(xml, parameter.Description);
        // A switch takes no value: the syntax shows [-Force], not [-Force <SwitchParameter>].
        if (!(inSyntax && parameter.IsSwitch))
        {
            xml.WriteStartElement("command", "parameterValue", Command);
            xml.WriteAttributeString("required", parameter.IsSwitch ? "false" : "true");
            xml.WriteAttributeString("variableLength", "false");
            xml.WriteString(parameter.Type);
            xml.WriteEndElement();
        }
        xml.WriteStartElement("dev", "type", Dev);
        xml.WriteElementString("maml", "name", Maml, parameter.Type);
        xml.WriteElementString("maml", "uri", Maml, "");
        xml.WriteEndElement();
        xml.WriteElementString("dev", "defaultValue", Dev, parameter.DefaultValue);
        xml.WriteEndElement();
    }

    private static void WriteTypes(XmlWriter xml, string listElement, string itemElement, IReadOnlyList<TypeDoc> types)
    {
        xml.WriteStartElement("command", listElement, Command);
        foreach (var type in types)
        {
            xml.WriteStartElement("command", itemElement, Command);
            xml.WriteStartElement("dev", "type", Dev);
            xml.WriteElementString("maml", "name", Maml, type.Name);
            xml.WriteEndElement();
            WriteDescription(xml, type.Description);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
    }

    private static void WriteDescription(XmlWriter xml, IEnumerable<Block> blocks)
    {
        xml.WriteStartElement("maml", "description", Maml);
        WriteParagraphs(xml, blocks);
        xml.WriteEndElement();
    }

    private static void WriteParagraphs(XmlWriter xml, IEnumerable<Block> blocks)
    {
        foreach (var block in blocks)
        {
            var text = block.Kind switch
            {
                BlockKind.ListItem => "- " + Markdown.Plain(block.Text),
                BlockKind.Code => block.Text,
                _ => Markdown.Plain(block.Text),
            };
            xml.WriteElementString("maml", "para", Maml, text);
        }
    }
}
