using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GitMirror.CiTemplates.Tests;

/// <summary>
/// The subset of GitHub Actions expressions the workflow uses — context paths, literals, !, ==, !=,
/// &amp;&amp;, || and parentheses — with GitHub's rules: missing properties are null, strings compare
/// case-insensitively, mixed types compare as numbers, &amp;&amp;/|| return an operand. Evaluating the
/// real job `if:` (instead of asserting its text) is what makes the skip tests mean something.
/// Anything outside this subset throws, so a template change cannot be silently misread.
/// </summary>
internal sealed class GitHubExpression
{
    private readonly Func<string, object?> _context;
    private readonly List<string> _tokens;
    private int _pos;

    private GitHubExpression(string text, Func<string, object?> context)
    {
        _context = context;
        _tokens = Tokenize(text);
    }

    /// <summary>Evaluates one expression; <paramref name="context"/> resolves a top-level name (github, vars, secrets) to a value or a dictionary.</summary>
    public static object? Evaluate(string text, Func<string, object?> context)
    {
        var e = new GitHubExpression(text, context);
        var value = e.Or();
        if (e._pos != e._tokens.Count) throw new FormatException($"unexpected '{e._tokens[e._pos]}' in expression: {text}");
        return value;
    }

    /// <summary>A job or step `if:`: with or without ${{ }}, judged by truthiness.</summary>
    public static bool EvaluateCondition(string text, Func<string, object?> context)
    {
        var t = text.Trim();
        if (t.StartsWith("${{", StringComparison.Ordinal) && t.EndsWith("}}", StringComparison.Ordinal)) t = t[3..^2];
        return Truthy(Evaluate(t, context));
    }

    /// <summary>Replaces every ${{ … }} in a string value (as in env:) with its value as text.</summary>
    public static string Interpolate(string text, Func<string, object?> context) =>
        Regex.Replace(text, @"\$\{\{(.*?)\}\}", m => AsString(Evaluate(m.Groups[1].Value, context)));

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        _ => true,
    };

    public static string AsString(object? v) => v switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d => d.ToString(CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    private object? Or()
    {
        var left = And();
        while (Accept("||"))
        {
            var right = And();
            left = Truthy(left) ? left : right;
        }
        return left;
    }

    private object? And()
    {
        var left = Equality();
        while (Accept("&&"))
        {
            var right = Equality();
            left = Truthy(left) ? right : left;
        }
        return left;
    }

    private object? Equality()
    {
        var left = Unary();
        if (Accept("==")) return Equal(left, Unary());
        if (Accept("!=")) return !Equal(left, Unary());
        return left;
    }

    private object? Unary() => Accept("!") ? !Truthy(Unary()) : Primary();

    private object? Primary()
    {
        if (Accept("("))
        {
            var v = Or();
            Expect(")");
            return v;
        }
        var t = Next();
        if (t.StartsWith('\'')) return t[1..^1].Replace("''", "'");
        if (t == "true") return true;
        if (t == "false") return false;
        if (t == "null") return null;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return n;
        if (!Regex.IsMatch(t, @"^[A-Za-z_][A-Za-z0-9_-]*$")) throw new FormatException($"unsupported token '{t}'");
        var value = _context(t);
        while (Accept("."))
        {
            var name = Next();
            value = value is IDictionary<string, object?> d
                ? d.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value
                : null;
        }
        return value;
    }

    // GitHub: same types compare directly (strings ignoring case); otherwise both become numbers.
    private static bool Equal(object? a, object? b)
    {
        if (a is null && b is null) return true;
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.OrdinalIgnoreCase);
        if (a is bool ba && b is bool bb) return ba == bb;
        var na = ToNumber(a);
        var nb = ToNumber(b);
        return !double.IsNaN(na) && na == nb;
    }

    private static double ToNumber(object? v) => v switch
    {
        null => 0,
        bool b => b ? 1 : 0,
        double d => d,
        string s when s.Trim().Length == 0 => 0,
        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
        _ => double.NaN,
    };

    private bool Accept(string token)
    {
        if (_pos < _tokens.Count && _tokens[_pos] == token)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(string token)
    {
        if (!Accept(token)) throw new FormatException($"expected '{token}'");
    }

    private string Next() => _pos < _tokens.Count ? _tokens[_pos++] : throw new FormatException("unexpected end of expression");

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '\'')
            {
                var sb = new StringBuilder("'");
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new FormatException("unterminated string");
                    if (text[i] == '\'' && i + 1 < text.Length && text[i + 1] == '\'') { sb.Append("''"); i += 2; continue; }
                    if (text[i] == '\'') { i++; break; }
                    sb.Append(text[i++]);
                }
                tokens.Add(sb.Append('\'').ToString());
                continue;
            }
            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            if (two is "==" or "!=" or "&&" or "||") { tokens.Add(two); i += 2; continue; }
            if (c is '!' or '(' or ')' or '.') { tokens.Add(c.ToString()); i++; continue; }
            var start = i;
            while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '-')) i++;
            if (i == start) throw new FormatException($"unsupported character '{c}' in expression: {text}");
            tokens.Add(text[start..i]);
        }
        return tokens;
    }
}
