using System.Diagnostics;
using System.Text;

namespace GitMirror.Bench;

/// <summary>The shape of a generated repository. Changing any number makes a new cache entry.</summary>
public sealed record RepositoryShape(
    string Name,
    int Commits,
    int Tags = 1_000,
    int Branches = 20,
    int PullRefs = 3_000,
    int TextFiles = 4_000,
    int IncompressibleBytesPerCommit = 4_200)
{
    /// <summary>A big real repository: 80,000 commits on heads, a pack over 300 MB.</summary>
    public static RepositoryShape Large => new("large-80k", 80_000);

    /// <summary>The same refs over an eighth of the history: incremental cost must not depend on history.</summary>
    public static RepositoryShape Medium => new("large-10k", 10_000);

    /// <summary>
    /// A pack of about <paramref name="megabytes"/> MB: commits that each add a 520 MiB file of random
    /// bytes, above git's core.bigFileThreshold (512 MiB), so git streams them and never tries deltas.
    /// </summary>
    public static RepositoryShape Huge(int megabytes) => new($"huge-{megabytes}m", (megabytes + 519) / 520, Tags: 0, Branches: 1, PullRefs: 0, TextFiles: 50, IncompressibleBytesPerCommit: BigFileBytes);

    public const int BigFileBytes = 520 << 20;

    public string Key => $"{Name}-c{Commits}-t{Tags}-b{Branches}-p{PullRefs}-f{TextFiles}-i{IncompressibleBytesPerCommit}-v1";
}

/// <summary>
/// Generates a repository of a given shape once, with `git fast-import`, into a data directory outside
/// the repository, and reuses it on later runs. Deterministic: the same shape gives the same commits.
/// The history is realistic churn: thousands of text files, each commit editing one to four of them
/// (git stores those as small deltas) and rewriting one of a thousand binary files with fresh random
/// bytes (which no delta or zlib can shrink, so the pack really is as large as a big project's).
/// Branches fork off main and carry a few commits of their own; tags are annotated; every
/// refs/pull/N/head has one commit of its own, as on GitHub, that heads and tags never reach.
/// </summary>
public static class LargeRepository
{
    private const int BranchCommits = 20;
    private const long Epoch = 1_600_000_000;

    /// <summary>The default data directory: $XDG_CACHE_HOME/gitmirror-bench, else ~/.cache/gitmirror-bench.</summary>
    public static string DefaultDataDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "gitmirror-bench");
    }

    /// <summary>The bare repository of this shape under <paramref name="dataDirectory"/>, generated if missing.</summary>
    public static string Ensure(string dataDirectory, RepositoryShape shape, TextWriter log)
    {
        var path = Path.Combine(dataDirectory, shape.Key + ".git");
        var done = Path.Combine(path, "gitmirror-bench-complete");
        if (File.Exists(done)) return path;
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true); // a run that stopped half-way
        Directory.CreateDirectory(path);
        log.WriteLine($"Generating {shape.Name} ({shape.Commits:N0} commits) once into {path} ...");
        var clock = Stopwatch.StartNew();
        Run(path, null, "init", "--bare", "--quiet");
        Run(path, null, "config", "pack.threads", "0");
        Generate(path, shape);
        // fast-import leaves one pack per run and no bitmaps; a forge serves from a repacked repository
        // with a bitmap index, which is what makes its fetches fast. Existing deltas are reused.
        // Files above core.bigFileThreshold are stored whole anyway: nothing to gain.
        if (shape.IncompressibleBytesPerCommit < RepositoryShape.BigFileBytes) Run(path, null, "repack", "-a", "-d", "--write-bitmap-index", "--quiet");
        File.WriteAllText(done, shape.Key + "\n");
        log.WriteLine($"  generated in {clock.Elapsed.TotalSeconds:0} s: {Describe(path)}");
        return path;
    }

    /// <summary>"N commits on heads+tags, pack X MB, refs": printed with every result.</summary>
    public static string Describe(string bare)
    {
        var commits = Run(bare, null, "rev-list", "--count", "--branches", "--tags").Trim();
        var packBytes = Directory.GetFiles(Path.Combine(bare, "objects", "pack"), "*.pack").Sum(f => new FileInfo(f).Length);
        var refs = Run(bare, null, "for-each-ref", "--format=%(refname)").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"{int.Parse(commits):N0} commits on heads+tags, pack {packBytes / 1e6:N0} MB, "
            + $"{refs.Count(r => r.StartsWith("refs/heads/"))} branches, {refs.Count(r => r.StartsWith("refs/tags/"))} tags, "
            + $"{refs.Count(r => r.StartsWith("refs/pull/"))} refs/pull/*";
    }

    private static void Generate(string bare, RepositoryShape shape)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = bare, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var a in new[] { "fast-import", "--quiet", "--done", "--depth=50" }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using (var stream = new BufferedStream(process.StandardInput.BaseStream, 1 << 20))
        {
            new Writer(stream, shape).WriteHistory();
        }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"git fast-import failed ({process.ExitCode}): {stderr.Result}");
    }

    private sealed class Writer(Stream output, RepositoryShape shape)
    {
        private static readonly string[] Words = "the a parser buffer index commit tree object config fix add remove refactor handle error test update cache lock fetch push merge path file read write stream flush close open retry timeout token header".Split(' ');
        private readonly Random _random = new(20261130);
        private readonly List<string>[] _files = new List<string>[shape.TextFiles];
        private readonly byte[] _blob = new byte[shape.IncompressibleBytesPerCommit];
        private int _mark;
        private long _time = Epoch;

        public void WriteHistory()
        {
            var mainCommits = shape.Commits - (shape.Branches - 1) * BranchCommits;
            var tagEvery = shape.Tags == 0 ? int.MaxValue : Math.Max(1, mainCommits / shape.Tags);
            var forkEvery = shape.Branches <= 1 ? int.MaxValue : mainCommits / shape.Branches;
            var pullEvery = shape.PullRefs == 0 ? int.MaxValue : Math.Max(1, mainCommits / shape.PullRefs);
            int tags = 0, branches = 1, pulls = 0, parent = 0;
            for (var i = 0; i < mainCommits; i++)
            {
                parent = i == 0 ? InitialCommit() : MainCommit(parent, i);
                if ((i + 1) % tagEvery == 0 && tags < shape.Tags) Tag($"v{++tags / 100}.{tags % 100}.0", parent);
                if ((i + 1) % forkEvery == 0 && branches < shape.Branches) Branch($"refs/heads/release/{branches++}", parent);
                if ((i + 1) % pullEvery == 0 && pulls < shape.PullRefs) PullRequest(++pulls, parent);
            }
            Ascii("done\n");
        }

        private int InitialCommit()
        {
            var body = new StringBuilder();
            for (var f = 0; f < _files.Length; f++)
            {
                _files[f] = [.. Enumerable.Range(0, 30).Select(_ => Sentence())];
            }
            CommitHeader("refs/heads/main", "Initial import", from: 0);
            for (var f = 0; f < _files.Length; f++) TextFile(f);
            Ascii("\n");
            return _mark;
        }

        private int MainCommit(int parent, int index)
        {
            var touched = 1 + _random.Next(4);
            CommitHeader("refs/heads/main", $"{Words[_random.Next(Words.Length)]}: {Sentence()} (#{index})", parent);
            for (var t = 0; t < touched; t++)
            {
                // Churn concentrates on some files, as in real projects: a skewed choice.
                var f = (int)(Math.Pow(_random.NextDouble(), 2) * _files.Length);
                var lines = _files[f];
                lines[_random.Next(lines.Count)] = Sentence();
                if (_random.Next(3) == 0) lines.Insert(_random.Next(lines.Count), Sentence());
                if (lines.Count > 80) lines.RemoveAt(_random.Next(lines.Count));
                TextFile(f);
            }
            Binary($"assets/data{index % 1000:D3}.bin");
            Ascii("\n");
            return _mark;
        }

        private void Branch(string name, int forkPoint)
        {
            var parent = forkPoint;
            for (var c = 0; c < BranchCommits; c++)
            {
                CommitHeader(name, $"{name[11..]}: {Sentence()}", parent);
                Binary($"{name[11..]}/notes{c % 5}.bin");
                Ascii("\n");
                parent = _mark;
            }
        }

        private void PullRequest(int number, int parent)
        {
            CommitHeader($"refs/pull/{number}/head", $"PR {number}: {Sentence()}", parent);
            var text = Encoding.ASCII.GetBytes(Sentence() + "\n");
            Ascii($"M 100644 inline contrib/pr{number}.txt\ndata {text.Length}\n");
            output.Write(text);
            Ascii("\n");
        }

        private void Tag(string name, int commit)
        {
            var message = Encoding.ASCII.GetBytes($"Release {name}\n\n{Sentence()}\n");
            Ascii($"tag {name}\nfrom :{commit}\ntagger Release Bot <release@example.com> {_time} +0000\ndata {message.Length}\n");
            output.Write(message);
            Ascii("\n");
        }

        private void CommitHeader(string refName, string message, int from)
        {
            var author = _random.Next(200);
            _time += 60 + _random.Next(3600);
            var bytes = Encoding.ASCII.GetBytes(message + "\n");
            Ascii($"commit {refName}\nmark :{++_mark}\nauthor Dev {author} <dev{author}@example.com> {_time} +0000\ncommitter Dev {author} <dev{author}@example.com> {_time} +0000\ndata {bytes.Length}\n");
            output.Write(bytes);
            if (from != 0) Ascii($"from :{from}\n");
        }

        private void TextFile(int f)
        {
            var content = Encoding.ASCII.GetBytes(string.Join('\n', _files[f]) + "\n");
            Ascii($"M 100644 inline src/module{f % 200:D3}/file{f:D4}.c\ndata {content.Length}\n");
            output.Write(content);
            Ascii("\n");
        }

        private void Binary(string path)
        {
            _random.NextBytes(_blob);
            Ascii($"M 100644 inline {path}\ndata {_blob.Length}\n");
            output.Write(_blob);
            Ascii("\n");
        }

        private string Sentence()
        {
            var words = new string[4 + _random.Next(8)];
            for (var w = 0; w < words.Length; w++) words[w] = Words[_random.Next(Words.Length)];
            return string.Join(' ', words);
        }

        private void Ascii(string text) => output.Write(Encoding.ASCII.GetBytes(text));
    }

    internal static string Run(string workDir, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }
}
