using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Testing.Fakes;

/// <summary>A CI/CD variable as the GitLab fake holds it.</summary>
public sealed record FakeGitLabVariable(string Key, string Value, bool Masked, bool Protected, bool Raw, bool Hidden = false);

public sealed class FakeGitLabProject
{
    public required long Id { get; init; }
    public required string PathWithNamespace { get; init; }
    public required string Visibility { get; init; }
    public required string BarePath { get; init; }

    /// <summary>The display name (GitLab lets it differ from the path); default: the path.</summary>
    public string? DisplayName { get; set; }

    public bool Archived { get; set; }

    /// <summary>Set when the project is pending deletion (GitLab's delayed deletion).</summary>
    public string? MarkedForDeletionAt { get; set; }

    /// <summary>The project it was forked from, if any.</summary>
    public string? ForkedFrom { get; set; }

    /// <summary>Groups the project is shared with (GitLab lists them with the group's projects unless with_shared=false).</summary>
    public List<string> SharedWith { get; } = [];

    /// <summary>The project's path (last segment).</summary>
    public string Path => PathWithNamespace[(PathWithNamespace.LastIndexOf('/') + 1)..];

    /// <summary>CI/CD variables in creation order.</summary>
    public List<FakeGitLabVariable> Variables { get; } = [];

    public FakeGitLabVariable? Variable(string key) => Variables.FirstOrDefault(v => v.Key == key);

    /// <summary>Project webhooks in creation order.</summary>
    public List<FakeGitLabHook> Hooks { get; } = [];

    /// <summary>Deploy keys enabled for the project, in creation order.</summary>
    public List<FakeDeployKey> DeployKeys { get; } = [];

    /// <summary>Issues in creation order (iid = position + 1).</summary>
    public List<FakeIssue> Issues { get; } = [];
}

/// <summary>A project webhook as the GitLab fake holds it (Token is write-only in the real API).</summary>
public sealed record FakeGitLabHook(long Id, string Url, string? Token, bool PushEvents, bool TagPushEvents, bool EnableSslVerification);

/// <summary>
/// A stateful fake of the GitLab REST API v4 on 127.0.0.1 (/api/v4): user and group namespaces
/// (subgroups by full path), projects backed by real bare repositories under the project root,
/// CI/CD variables with GitLab's masking rule, token scopes, pagination and GitLab's error shapes.
/// </summary>
public sealed partial class FakeGitLabApi : FakeForgeServer
{
    private readonly Dictionary<string, (string Username, string[] Scopes)> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Id, string Kind)> _namespaces = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, FakeGitLabProject> _projects = new(StringComparer.OrdinalIgnoreCase);
    private long _nextId = 100;

    private FakeGitLabApi(string projectRoot) : base(projectRoot)
    {
    }

    public static async Task<FakeGitLabApi> StartAsync(string projectRoot)
    {
        var fake = new FakeGitLabApi(projectRoot);
        await fake.StartAsync().ConfigureAwait(false);
        return fake;
    }

    /// <summary>The API base to put in repos.yaml (gitlab.api): http://127.0.0.1:PORT/api/v4.</summary>
    public string ApiUrl => BaseUrl + ApiPrefix;

    /// <summary>Default page size, as GitLab's (20); small pages make pagination visible in tests.</summary>
    public int DefaultPerPage { get; set; } = 20;

    protected override string ApiPrefix => "/api/v4";

    /// <summary>
    /// Base of the projects' SSH URLs (ssh_url_to_repo = base/path.git), e.g. a test sshd's
    /// <c>ssh://user@127.0.0.1:PORT/gitlab</c>; null gives GitLab's own form, git@gitlab.example:path.git.
    /// </summary>
    public string? SshBaseUrl { get; set; }

    protected override JsonNode UnauthorizedBody => new JsonObject { ["message"] = "401 Unauthorized" };

    /// <summary>A user (with its user namespace) and its personal access token.</summary>
    public void AddUser(string username, string token, params string[] scopes)
    {
        lock (Sync)
        {
            _tokens[token] = (username, scopes);
            _namespaces.TryAdd(username, (++_nextId, "user"));
        }
    }

    private readonly Dictionary<string, string> _expiresOn = new(StringComparer.Ordinal);
    private readonly HashSet<string> _revoked = new(StringComparer.Ordinal);

    /// <summary>The day a token expires (GitLab's expires_at, yyyy-MM-dd); without it the token never expires.</summary>
    public void SetTokenExpiry(string token, DateOnly day)
    {
        lock (Sync) _expiresOn[token] = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Marks a token revoked: GitLab still answers /personal_access_tokens/self for it, with revoked: true.</summary>
    public void RevokeToken(string token)
    {
        lock (Sync) _revoked.Add(token);
    }

    /// <summary>A group or subgroup by full path (parents are added too).</summary>
    public void AddGroup(string fullPath)
    {
        lock (Sync)
        {
            var parts = fullPath.Split('/');
            for (var i = 1; i <= parts.Length; i++) _namespaces.TryAdd(string.Join('/', parts[..i]), (++_nextId, "group"));
        }
    }

    /// <summary>A project that exists before the test runs (its bare repository too).</summary>
    public FakeGitLabProject AddProject(string pathWithNamespace, string visibility = "private")
    {
        lock (Sync) return CreateProject(pathWithNamespace, visibility);
    }

    public FakeGitLabProject? Project(string pathWithNamespace)
    {
        lock (Sync) return _projects.GetValueOrDefault(pathWithNamespace);
    }

    public IReadOnlyList<FakeGitLabProject> Projects
    {
        get { lock (Sync) return [.. _projects.Values]; }
    }

    protected override bool IsKnownToken(string token)
    {
        lock (Sync) return _tokens.ContainsKey(token);
    }

    protected override FakeResponse Handle(string method, string path, IReadOnlyDictionary<string, string> query, JsonObject? body, string token, HttpResponse response)
    {
        var (username, scopes) = _tokens[token];
        // Each segment is decoded on its own: a project path arrives as one segment (team%2Fsub%2Frepo).
        var segments = path.Trim('/').Split('/').Select(Decode).ToArray();
        return (method, segments) switch
        {
            ("GET", ["user"]) => FakeResponse.Json(new JsonObject { ["id"] = _namespaces[username].Id, ["username"] = username }),
            ("GET", ["personal_access_tokens", "self"]) => FakeResponse.Json(new JsonObject
            {
                ["id"] = 1, ["name"] = "mirror", ["active"] = !_revoked.Contains(token), ["revoked"] = _revoked.Contains(token),
                ["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]),
                ["expires_at"] = _expiresOn.TryGetValue(token, out var day) ? day : null,
            }),
            ("GET", ["groups", var group, "projects"]) => ListGroupProjects(group, query, response),
            ("GET", ["namespaces", var ns]) => NamespaceJson(ns) is { } nsJson ? FakeResponse.Json(nsJson) : NotFound("Namespace"),
            ("GET", ["projects", var p]) => ProjectOf(p) is { } project ? FakeResponse.Json(ProjectJson(project)) : NotFound("Project"),
            ("POST", ["projects"]) => CreateProject(body),
            ("GET", ["projects", var p, "variables"]) => WithProject(p, project => Page(project.Variables.Select(VariableJson).ToList(), query, response)),
            ("GET", ["projects", var p, "variables", var key]) => WithProject(p, project =>
                project.Variable(key) is { } v ? FakeResponse.Json(VariableJson(v)) : NotFound("Variable")),
            ("POST", ["projects", var p, "variables"]) => WithProject(p, project => WriteVariable(project, body?["key"]?.GetValue<string>() ?? "", body, creating: true)),
            ("PUT", ["projects", var p, "variables", var key]) => WithProject(p, project => WriteVariable(project, key, body, creating: false)),
            ("DELETE", ["projects", var p, "variables", var key]) => WithProject(p, project =>
                project.Variable(key) is { } v && project.Variables.Remove(v) ? FakeResponse.Empty() : NotFound("Variable")),
            ("GET", ["projects", var p, "deploy_keys"]) => WithProject(p, project => Page(project.DeployKeys.Select(DeployKeyJson).ToList(), query, response)),
            ("POST", ["projects", var p, "deploy_keys"]) => WithProject(p, project => AddDeployKey(project, body, username)),
            ("DELETE", ["projects", var p, "deploy_keys", var id]) => WithProject(p, project =>
                project.DeployKeys.RemoveAll(k => k.Id.ToString(CultureInfo.InvariantCulture) == id) > 0 ? FakeResponse.Empty() : NotFound("Deploy Key")),
            ("GET", ["projects", var p, "hooks"]) => WithProject(p, project => Page(project.Hooks.Select(HookJson).ToList(), query, response)),
            ("POST", ["projects", var p, "hooks"]) => WithProject(p, project => WriteHook(project, null, body)),
            ("PUT", ["projects", var p, "hooks", var id]) => WithProject(p, project => WriteHook(project, id, body)),
            ("POST", ["projects", var p, "issues"]) => WithProject(p, project =>
            {
                var issue = new FakeIssue
                {
                    Number = project.Issues.Count + 1, Title = body?["title"]?.GetValue<string>() ?? "",
                    Body = body?["description"]?.GetValue<string>() ?? "", Labels = FakeIssue.LabelsOf(body?["labels"]),
                };
                project.Issues.Add(issue);
                return FakeResponse.Json(IssueJson(issue), 201);
            }),
            ("GET", ["projects", var p, "issues"]) => WithProject(p, project =>
                Page([.. FakeIssue.Filter(project.Issues, query, "opened").Select(IssueJson)], query, response)),
            ("PUT", ["projects", var p, "issues", var iid]) => WithProject(p, project => WithIssue(project, iid, issue =>
            {
                if (body?["state_event"]?.GetValue<string>() is { } change) issue.Open = change == "reopen";
                return FakeResponse.Json(IssueJson(issue));
            })),
            ("POST", ["projects", var p, "issues", var iid, "notes"]) => WithProject(p, project => WithIssue(project, iid, issue =>
            {
                issue.Comments.Add(body?["body"]?.GetValue<string>() ?? "");
                return FakeResponse.Json(new JsonObject { ["id"] = issue.Number * 1000 + issue.Comments.Count, ["body"] = issue.Comments[^1] }, 201);
            })),
            _ => FakeResponse.Message(404, "404 Not Found"),
        };
    }

    private FakeResponse CreateProject(JsonObject? body)
    {
        var name = body?["name"]?.GetValue<string>();
        var path = body?["path"]?.GetValue<string>() ?? name;
        if (string.IsNullOrEmpty(path)) return FakeResponse.Message(400, "name is missing, path is missing");
        var namespaceId = body?["namespace_id"]?.GetValue<long>();
        var ns = _namespaces.FirstOrDefault(n => n.Value.Id == namespaceId);
        if (ns.Key is null) return NotFound("Namespace");
        var full = $"{ns.Key}/{path}";
        if (_projects.ContainsKey(full))
        {
            return FakeResponse.Message(400, new JsonObject
            {
                ["project_namespace.name"] = new JsonArray("has already been taken"),
                ["name"] = new JsonArray("has already been taken"),
                ["path"] = new JsonArray("has already been taken"),
            });
        }
        var visibility = body?["visibility"]?.GetValue<string>() ?? "private";
        if (visibility is not ("private" or "internal" or "public")) return FakeResponse.Message(400, "visibility does not have a valid value");
        return FakeResponse.Json(ProjectJson(CreateProject(full, visibility)), 201);
    }

    private FakeGitLabProject CreateProject(string full, string visibility)
    {
        var project = new FakeGitLabProject
        {
            Id = ++_nextId, PathWithNamespace = full, Visibility = visibility, BarePath = CreateBareRepository(full),
        };
        _projects[full] = project;
        return project;
    }

    /// <summary>POST /projects/:id/hooks (url required) and PUT /projects/:id/hooks/:hook_id, as GitLab documents them.</summary>
    private FakeResponse WriteHook(FakeGitLabProject project, string? id, JsonObject? body)
    {
        var existing = id is null ? null : project.Hooks.FirstOrDefault(h => h.Id.ToString(CultureInfo.InvariantCulture) == id);
        if (id is not null && existing is null) return NotFound("Hook");
        var url = body?["url"]?.GetValue<string>() ?? existing?.Url;
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            return FakeResponse.Json(new JsonObject { ["error"] = "url is missing" }, 400);
        }
        bool Flag(string name, bool fallback) => body?[name] is { } node ? node.GetValue<bool>() : fallback;
        var hook = new FakeGitLabHook(existing?.Id ?? _nextId++, url, body?["token"]?.GetValue<string>() ?? existing?.Token,
            Flag("push_events", existing?.PushEvents ?? true), Flag("tag_push_events", existing?.TagPushEvents ?? false),
            Flag("enable_ssl_verification", existing?.EnableSslVerification ?? true));
        if (existing is null) project.Hooks.Add(hook);
        else project.Hooks[project.Hooks.IndexOf(existing)] = hook;
        return FakeResponse.Json(HookJson(hook), existing is null ? 201 : 200);
    }

    /// <summary>POST /projects/:id/deploy_keys: 400 for a malformed key or one the project already has; the key's owner is the token's user.</summary>
    private FakeResponse AddDeployKey(FakeGitLabProject project, JsonObject? body, string username)
    {
        var key = FakeDeployKey.Normalize(body?["key"]?.GetValue<string>());
        if (key is null) return FakeResponse.Message(400, new JsonObject { ["key"] = new JsonArray("is invalid") });
        if (project.DeployKeys.Any(k => k.Key == key))
        {
            return FakeResponse.Message(400, new JsonObject { ["deploy_key.fingerprint_sha256"] = new JsonArray("has already been taken") });
        }
        var added = new FakeDeployKey(++_nextId, body?["title"]?.GetValue<string>() ?? "", key, Flag(body, "can_push") ?? false, username);
        project.DeployKeys.Add(added);
        return FakeResponse.Json(DeployKeyJson(added), 201);
    }

    private static JsonObject DeployKeyJson(FakeDeployKey k) => new()
    {
        ["id"] = k.Id,
        ["title"] = k.Title,
        ["key"] = k.Key,
        ["created_at"] = "2024-01-01T00:00:00.000Z",
        ["expires_at"] = null,
        ["can_push"] = k.CanPush,
    };

    private static JsonObject HookJson(FakeGitLabHook hook) => new()
    {
        ["id"] = hook.Id,
        ["url"] = hook.Url,
        ["push_events"] = hook.PushEvents,
        ["tag_push_events"] = hook.TagPushEvents,
        ["merge_requests_events"] = false,
        ["enable_ssl_verification"] = hook.EnableSslVerification,
        ["created_at"] = "2024-01-01T00:00:00.000Z",
    };

    private static FakeResponse WriteVariable(FakeGitLabProject project, string key, JsonObject? body, bool creating)
    {
        if (!VariableKey().IsMatch(key))
        {
            return FakeResponse.Message(400, new JsonObject { ["key"] = new JsonArray("can contain only letters, digits and '_'.") });
        }
        var existing = project.Variable(key);
        if (creating && existing is not null)
        {
            return FakeResponse.Message(400, new JsonObject { ["key"] = new JsonArray($"({key}) has already been taken") });
        }
        if (!creating && existing is null) return NotFound("Variable");
        var value = body?["value"]?.GetValue<string>() ?? existing?.Value ?? "";
        // GitLab 17.4+: masked_and_hidden only on creation; a hidden variable is masked and its value never shown again.
        if (!creating && Flag(body, "masked_and_hidden") is not null)
        {
            return FakeResponse.Message(400, new JsonObject { ["masked_and_hidden"] = new JsonArray("can only be set when the variable is created") });
        }
        var hidden = creating ? Flag(body, "masked_and_hidden") ?? false : existing!.Hidden;
        var masked = hidden || (Flag(body, "masked") ?? existing?.Masked ?? false);
        // GitLab refuses to mask what it could not find again in a job log.
        if (masked && !MaskableValue().IsMatch(value))
        {
            return FakeResponse.Message(400, new JsonObject { ["value"] = new JsonArray("is invalid") });
        }
        var variable = new FakeGitLabVariable(key, value, masked,
            Flag(body, "protected") ?? existing?.Protected ?? false,
            Flag(body, "raw") ?? existing?.Raw ?? false, hidden);
        if (existing is null) project.Variables.Add(variable);
        else project.Variables[project.Variables.IndexOf(existing)] = variable;
        return FakeResponse.Json(VariableJson(variable), creating ? 201 : 200);
    }

    private static bool? Flag(JsonObject? body, string name) => body?[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => s == "true",
        _ => null,
    };

    /// <summary>One page of a list, with GitLab's x-page/x-next-page/x-total headers and a Link header.</summary>
    private FakeResponse Page(List<JsonObject> items, IReadOnlyDictionary<string, string> query, HttpResponse response)
    {
        var perPage = query.TryGetValue("per_page", out var pp) && int.TryParse(pp, out var n) ? Math.Clamp(n, 1, 100) : DefaultPerPage;
        var page = query.TryGetValue("page", out var pg) && int.TryParse(pg, out var p) && p > 0 ? p : 1;
        var totalPages = Math.Max(1, (items.Count + perPage - 1) / perPage);
        response.Headers["x-page"] = page.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-per-page"] = perPage.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-total"] = items.Count.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-total-pages"] = totalPages.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-next-page"] = page < totalPages ? (page + 1).ToString(CultureInfo.InvariantCulture) : "";
        var array = new JsonArray([.. items.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode)i.DeepClone())]);
        return FakeResponse.Json(array);
    }

    private FakeGitLabProject? ProjectOf(string idOrPath) =>
        long.TryParse(idOrPath, out var id) ? _projects.Values.FirstOrDefault(p => p.Id == id) : _projects.GetValueOrDefault(idOrPath);

    private FakeResponse WithProject(string idOrPath, Func<FakeGitLabProject, FakeResponse> then) =>
        ProjectOf(idOrPath) is { } project ? then(project) : NotFound("Project");

    private JsonObject? NamespaceJson(string idOrPath)
    {
        var match = long.TryParse(idOrPath, out var id)
            ? _namespaces.FirstOrDefault(n => n.Value.Id == id)
            : _namespaces.FirstOrDefault(n => n.Key.Equals(idOrPath, StringComparison.OrdinalIgnoreCase));
        if (match.Key is null) return null;
        var slash = match.Key.LastIndexOf('/');
        return new JsonObject
        {
            ["id"] = match.Value.Id,
            ["name"] = match.Key[(slash + 1)..],
            ["path"] = match.Key[(slash + 1)..],
            ["kind"] = match.Value.Kind,
            ["full_path"] = match.Key,
        };
    }

    private JsonObject ProjectJson(FakeGitLabProject p) => new()
    {
        ["id"] = p.Id,
        ["ssh_url_to_repo"] = SshBaseUrl is null ? $"git@gitlab.example:{p.PathWithNamespace}.git" : $"{SshBaseUrl.TrimEnd('/')}/{p.PathWithNamespace}.git",
        ["name"] = p.PathWithNamespace[(p.PathWithNamespace.LastIndexOf('/') + 1)..],
        ["path_with_namespace"] = p.PathWithNamespace,
        ["visibility"] = p.Visibility,
        ["default_branch"] = null,
    };

    private static JsonObject VariableJson(FakeGitLabVariable v) => new()
    {
        ["variable_type"] = "env_var",
        ["key"] = v.Key,
        ["value"] = v.Hidden ? null : v.Value,
        ["protected"] = v.Protected,
        ["masked"] = v.Masked,
        ["hidden"] = v.Hidden,
        ["raw"] = v.Raw,
        ["environment_scope"] = "*",
    };

    private static FakeResponse WithIssue(FakeGitLabProject project, string iid, Func<FakeIssue, FakeResponse> then) =>
        project.Issues.FirstOrDefault(i => i.Number.ToString(CultureInfo.InvariantCulture) == iid) is { } issue ? then(issue) : NotFound("Issue");

    private static JsonObject IssueJson(FakeIssue issue) => new()
    {
        ["iid"] = issue.Number,
        ["title"] = issue.Title,
        ["description"] = issue.Body,
        ["state"] = issue.Open ? "opened" : "closed",
        ["labels"] = new JsonArray([.. issue.Labels.Select(l => (JsonNode)l)]),
    };

    private static FakeResponse NotFound(string what) => FakeResponse.Message(404, $"404 {what} Not Found");

    [GeneratedRegex("^[A-Za-z0-9_]{1,255}$")]
    private static partial Regex VariableKey();

    // One line, at least 8 characters, from GitLab's masking alphabet.
    [GeneratedRegex(@"^[A-Za-z0-9_+=/@:.~-]{8,}\z")]
    private static partial Regex MaskableValue();
}
