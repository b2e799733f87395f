using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GitMirror.Testing.Fakes;

/// <summary>
/// Conditional answers as GitHub and GitLab give them for a listing page: an ETag over the page's
/// content, and 304 without a body when the request's If-None-Match names it.
/// </summary>
internal static class FakeConditional
{
    public static FakeResponse Answer(JsonArray page, HttpResponse response)
    {
        var etag = "W/\"" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(page.ToJsonString()))).ToLowerInvariant()[..32] + "\"";
        response.Headers.ETag = etag;
        var ifNoneMatch = response.HttpContext.Request.Headers.IfNoneMatch.ToString();
        return ifNoneMatch.Length > 0 && ifNoneMatch.Split(',').Any(t => t.Trim() == etag) ? FakeResponse.Empty(304) : FakeResponse.Json(page);
    }

    public static (int PerPage, int Page) Paging(IReadOnlyDictionary<string, string> query, int defaultPerPage)
    {
        var perPage = query.TryGetValue("per_page", out var pp) && int.TryParse(pp, out var n) ? Math.Clamp(n, 1, 100) : defaultPerPage;
        var page = query.TryGetValue("page", out var pg) && int.TryParse(pg, out var p) && p > 0 ? p : 1;
        return (perPage, page);
    }

    /// <summary>The request's own URL with another page number, absolute, as both forges put it in Link.</summary>
    public static string PageUrl(HttpResponse response, int page)
    {
        var request = response.HttpContext.Request;
        var query = request.Query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append("page=" + page.ToString(CultureInfo.InvariantCulture));
        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{string.Join("&", query)}";
    }
}

public sealed partial class FakeGitHubApi
{
    /// <summary>A repository that only the listings show (no bare repository behind it): for listings of thousands.</summary>
    public FakeGitHubRepository AddListedRepository(string fullName, bool archived = false, bool fork = false)
    {
        lock (Sync)
        {
            var (owner, name) = Split(fullName);
            var repo = new FakeGitHubRepository { Owner = owner, Name = name, Visibility = "private", BarePath = "", Archived = archived, Fork = fork };
            _repos[repo.FullName] = repo;
            return repo;
        }
    }

    /// <summary>GitHub's default page size for repository listings.</summary>
    public int DefaultPerPage { get; set; } = 30;

    /// <summary>GET /orgs/{org}/repos and /users/{name}/repos: newest first, paged with a Link header, conditional.</summary>
    private FakeResponse ListRepositories(string owner, IReadOnlyDictionary<string, string> query, HttpResponse response)
    {
        var (perPage, page) = FakeConditional.Paging(query, DefaultPerPage);
        var all = _repos.Values.Where(r => r.Owner.Equals(owner, StringComparison.OrdinalIgnoreCase)).OrderByDescending(r => r.Created).ToList();
        var last = Math.Max(1, (all.Count + perPage - 1) / perPage);
        var links = new List<string>();
        if (page < last) links.Add($"<{FakeConditional.PageUrl(response, page + 1)}>; rel=\"next\"");
        if (page < last) links.Add($"<{FakeConditional.PageUrl(response, last)}>; rel=\"last\"");
        if (links.Count > 0) response.Headers["Link"] = string.Join(", ", links);
        var items = new JsonArray([.. all.Skip((page - 1) * perPage).Take(perPage).Select(r => (JsonNode)RepoJson(r))]);
        return FakeConditional.Answer(items, response);
    }
}

public sealed partial class FakeGitLabApi
{
    /// <summary>A project that only the listings show (no bare repository behind it): for listings of thousands.</summary>
    public FakeGitLabProject AddListedProject(string pathWithNamespace)
    {
        lock (Sync)
        {
            var project = new FakeGitLabProject { Id = ++_nextId, PathWithNamespace = pathWithNamespace, Visibility = "private", BarePath = "" };
            _projects[pathWithNamespace] = project;
            return project;
        }
    }

    /// <summary>
    /// GET /groups/:id/projects as GitLab answers it: the group's own projects, those of its subgroups
    /// with include_subgroups=true, projects shared with it unless with_shared=false (GitLab's default
    /// is true); newest first; x-next-page and Link; conditional.
    /// </summary>
    private FakeResponse ListGroupProjects(string group, IReadOnlyDictionary<string, string> query, HttpResponse response)
    {
        if (!_namespaces.TryGetValue(group, out var ns) || ns.Kind != "group") return NotFound("Group");
        var fullPath = _namespaces.Keys.First(k => k.Equals(group, StringComparison.OrdinalIgnoreCase));
        var withShared = !query.TryGetValue("with_shared", out var shared) || shared != "false";
        var subgroups = query.TryGetValue("include_subgroups", out var sub) && sub == "true";
        var projects = _projects.Values.Where(p =>
        {
            var projectNamespace = p.PathWithNamespace[..p.PathWithNamespace.LastIndexOf('/')];
            return projectNamespace.Equals(fullPath, StringComparison.OrdinalIgnoreCase)
                || (subgroups && projectNamespace.StartsWith(fullPath + "/", StringComparison.OrdinalIgnoreCase))
                || (withShared && p.SharedWith.Contains(fullPath, StringComparer.OrdinalIgnoreCase));
        }).OrderByDescending(p => p.Id).Select(ListedProjectJson).ToList();

        var (perPage, page) = FakeConditional.Paging(query, DefaultPerPage);
        var totalPages = Math.Max(1, (projects.Count + perPage - 1) / perPage);
        response.Headers["x-page"] = page.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-per-page"] = perPage.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-total"] = projects.Count.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-total-pages"] = totalPages.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-next-page"] = page < totalPages ? (page + 1).ToString(CultureInfo.InvariantCulture) : "";
        if (page < totalPages) response.Headers["Link"] = $"<{FakeConditional.PageUrl(response, page + 1)}>; rel=\"next\"";
        return FakeConditional.Answer(new JsonArray([.. projects.Skip((page - 1) * perPage).Take(perPage).Select(p => (JsonNode)p)]), response);
    }

    private JsonObject ListedProjectJson(FakeGitLabProject p)
    {
        var json = ProjectJson(p);
        var namespacePath = p.PathWithNamespace[..p.PathWithNamespace.LastIndexOf('/')];
        json["name"] = p.DisplayName ?? p.Path;
        json["path"] = p.Path;
        json["archived"] = p.Archived;
        json["marked_for_deletion_at"] = p.MarkedForDeletionAt;
        json["marked_for_deletion_on"] = p.MarkedForDeletionAt;
        json["namespace"] = new JsonObject
        {
            ["id"] = _namespaces.TryGetValue(namespacePath, out var ns) ? ns.Id : 0,
            ["full_path"] = namespacePath,
            ["path"] = namespacePath[(namespacePath.LastIndexOf('/') + 1)..],
            ["kind"] = ns.Kind ?? "group",
        };
        if (p.ForkedFrom is not null) json["forked_from_project"] = new JsonObject { ["path_with_namespace"] = p.ForkedFrom };
        return json;
    }
}
