namespace GitMirror.Core.Forges;

/// <summary>How deep JSON text nests, found by one pass over the bytes without parsing (strings and escapes skipped).</summary>
public static class JsonDepth
{
    public static bool Exceeds(ReadOnlySpan<byte> json, int maxDepth)
    {
        var depth = 0;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == (byte)'\\') i++;
                else if (b == (byte)'"') inString = false;
                continue;
            }
            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'[' or (byte)'{':
                    if (++depth > maxDepth) return true;
                    break;
                case (byte)']' or (byte)'}':
                    depth--;
                    break;
            }
        }
        return false;
    }
}
