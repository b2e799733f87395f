namespace GitMirror.Core.Bootstrap;

/// <summary>
/// Puts the CI files into a pair's repositories; implemented with the sync engine.
/// Contract: sync the pair first (so nothing is overwritten and both sides agree), then make ONE
/// commit on GitHub's default branch holding <see cref="CiFiles.GitHubWorkflowPath"/>,
/// <see cref="CiFiles.GitLabJobPath"/> and the include in <see cref="CiFiles.GitLabCiPath"/>
/// (compute them with <see cref="CiFiles.Plan"/>), and push that commit to both sides as a plain
/// fast-forward. Only called after ShouldProcess agreed; the repositories exist by then.
/// Returns the CiFiles step (Side Both): Created when none of the files existed, Updated when some
/// changed, Unchanged when <see cref="CiFiles.Plan"/> found nothing to change (no commit then).
/// A failure either throws (ForgeApiException, GitTransportException, or anything with a
/// token-free message) or returns a Failed step whose Detail says why.
/// </summary>
public interface ICiFilesInstaller
{
    Task<MirrorBootstrapStep> InstallAsync(MirrorPair pair, CancellationToken ct);
}
