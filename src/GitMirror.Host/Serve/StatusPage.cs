using System.Globalization;
using System.Net;
using System.Text;
using GitMirror.Core.Report;
using GitMirror.Core.Service;

namespace GitMirror.Host.Serve;

/// <summary>
/// <c>GET /</c>: every pair of this process, unhealthy ones first, with the exact
/// Repair-MirrorDivergence command for each diverged ref. Complete in the first answer (no script
/// needed); the page refreshes itself every 10 seconds.
/// </summary>
internal static class StatusPage
{
    /// <param name="syncAllowed">Show a "Sync now" button per pair (only when sync requests are allowed).</param>
    public static string Render(MirrorService service, DateTimeOffset now, bool syncAllowed = false)
    {
        var statuses = service.Statuses()
            .OrderBy(s => s.Healthy)
            .ThenBy(s => s.PairName, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var unhealthy = statuses.Count(s => !s.Healthy);
        var scope = service.Routing is { } routing
            ? $"shard {routing.Shard.Index} of {routing.Shard.Count}: {statuses.Count} of {service.Config.Pairs.Count} pairs"
            : $"{statuses.Count} pairs";
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="10">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>GitMirror — {{(unhealthy == 0 ? "all healthy" : $"{unhealthy} need attention")}}</title>
            <style>
              body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; background: #f6f8fa; }
              h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
              .summary { color: #57606a; margin: 0 0 1.2rem; }
              table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
              th, td { text-align: left; padding: .55rem .8rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
              th { background: #f6f8fa; font-weight: 600; font-size: .85rem; color: #57606a; }
              tr.unhealthy td:first-child { border-left: 4px solid #cf222e; }
              tr.healthy td:first-child { border-left: 4px solid #1a7f37; }
              .badge { display: inline-block; padding: .05rem .55rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; }
              .ok { background: #dafbe1; color: #1a7f37; } .bad { background: #ffebe9; color: #cf222e; } .never { background: #eaeef2; color: #57606a; }
              code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; }
              .repair { display: block; margin-top: .3rem; white-space: pre; overflow-x: auto; overflow-wrap: normal; word-break: normal; max-width: 60rem; }
              .error { color: #cf222e; font-size: .9rem; }
              .muted { color: #57606a; }
              form.sync { margin: .3rem 0 0; } form.sync button { font-size: .8rem; padding: .1rem .5rem; cursor: pointer; }
            </style>
            </head>
            <body>
            <h1>GitMirror</h1>
            <p class="summary" id="summary">{{E(scope)}} · <strong>{{(unhealthy == 0 ? "all healthy" : $"{unhealthy} need attention")}}</strong> · {{E(Time(now))}} · refreshes every 10 s</p>
            <table id="pairs">
            <thead><tr><th>Pair</th>{{(syncAllowed ? "<th></th>" : "")}}<th>Status</th><th>Last run</th><th>Last success</th><th>Failures</th><th>Diverged refs</th></tr></thead>
            <tbody>

            """);
        foreach (var status in statuses)
        {
            var badge = status.Status is null ? ("never", "never synced")
                : status.Healthy ? ("ok", status.Status.ToString()!)
                : ("bad", status.Status.ToString()!);
            html.Append($"<tr class=\"pair {(status.Healthy ? "healthy" : "unhealthy")}\" data-pair=\"{E(status.PairName)}\">");
            html.Append($"<td class=\"name\">{E(status.PairName)}");
            if (status.Organization is { } organization) html.Append($"<div class=\"muted organization\">organisation {E(organization)}</div>");
            html.Append("</td>");
            if (syncAllowed)
            {
                // A plain form works without scripts; the script below posts it in place instead.
                html.Append($"<td class=\"sync\"><form class=\"sync\" method=\"post\" action=\"pairs/{E(Uri.EscapeDataString(status.PairName))}/sync\"><button type=\"submit\">Sync now</button></form></td>");
            }
            html.Append($"<td><span class=\"badge {badge.Item1}\">{E(badge.Item2)}</span>");
            if (status.LastError is { Length: > 0 } error) html.Append($"<div class=\"error\">{E(error)}</div>");
            if (status.LastNotificationError is { Length: > 0 } notifyError) html.Append($"<div class=\"error\">notification failed: {E(notifyError)}</div>");
            html.Append("</td>");
            html.Append($"<td>{E(Time(status.LastRun))}</td><td>{E(Time(status.LastSuccess))}</td><td>{status.ConsecutiveFailures}</td><td>");
            if (status.DivergedRefs.Length == 0) html.Append("<span class=\"muted\">none</span>");
            foreach (var diverged in status.DivergedRefs)
            {
                html.Append($"<div class=\"diverged\"><code>{E(diverged)}</code>");
                // Both choices, each whole on one line (a command broken mid-word pastes wrong).
                foreach (var prefer in new[] { MirrorSide.GitHub, MirrorSide.GitLab })
                {
                    html.Append($"<code class=\"repair\">{E(RepairCommands.Repair(service.Config.ConfigPath, status.PairName, diverged, prefer))}</code>");
                }
                html.Append("</div>");
            }
            html.Append("</td></tr>\n");
        }
        html.Append($$"""
            </tbody>
            </table>
            {{CredentialsSection(service, now)}}
            <script>
            document.addEventListener('submit', event => {
              const form = event.target;
              if (!form.classList.contains('sync')) return;
              event.preventDefault();
              const button = form.querySelector('button');
              button.disabled = true;
              fetch(form.action, { method: 'POST', credentials: 'same-origin' })
                .then(r => { button.textContent = r.status === 202 ? 'Sync requested' : 'Refused (' + r.status + ')'; })
                .catch(() => { button.textContent = 'Failed'; button.disabled = false; });
            });
            </script>
            <p class="muted">Repair: choose the side whose commits win (<code>-Prefer GitHub</code> or <code>-Prefer GitLab</code>); the other side's commits are kept under <code>gitmirror/backup/</code>. Add <code>-WhatIf</code> to see what it would do.</p>
            </body>
            </html>

            """);
        return html.ToString();
    }

    /// <summary>The credentials as the service last checked them: kind, user, expiry, and what is wrong.</summary>
    private static string CredentialsSection(MirrorService service, DateTimeOffset now)
    {
        var credentials = service.Credentials.Current;
        if (credentials.Count == 0) return "<p class=\"muted\" id=\"credentials\">Credentials: not checked yet.</p>";
        var html = new StringBuilder("<h2 style=\"font-size:1.1rem;margin:1.2rem 0 .4rem\">Credentials</h2>\n<table id=\"credentials\">\n"
            + "<thead><tr><th>Forge</th><th>Kind</th><th>User</th><th>Expires</th><th>Days left</th><th>Valid</th></tr></thead>\n<tbody>\n");
        foreach (var c in credentials)
        {
            var days = MirrorCredential.DaysUntil(c.ExpiresAt, now);
            var attention = Core.Report.CredentialStatus.NeedsAttention(c);
            html.Append($"<tr class=\"credential {(attention is null ? "healthy" : "unhealthy")}\" data-forge=\"{c.Forge}\"><td class=\"forge\">{c.Forge}</td><td>{c.Kind}</td>");
            html.Append($"<td>{E(c.User ?? "")}</td><td>{(c.ExpiresAt is null ? "never" : E(Time(c.ExpiresAt)))}</td><td>{days?.ToString(CultureInfo.InvariantCulture) ?? ""}</td>");
            html.Append($"<td><span class=\"badge {(c.Valid ? "ok" : "bad")}\">{(c.Valid ? "valid" : "invalid")}</span>");
            if (attention is not null) html.Append($"<div class=\"error\">{E(attention)}</div>");
            html.Append("</td></tr>\n");
        }
        html.Append($"</tbody>\n</table>\n<p class=\"muted\">Checked {E(Time(service.Credentials.CheckedAt))}, then every hour.</p>");
        return html.ToString();
    }

    private static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "never";

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
