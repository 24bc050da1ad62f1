using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Privacy;

/// <summary>A member's right to their data: export everything, or erase the personal part. Both are audited with the
/// caller's own name for themselves (<c>x-actor</c>), never with the member's data.</summary>
public static partial class PrivacyApi
{
    public const string ActorHeader = "x-actor";
    public const string Unspecified = "unspecified";

    public static IServiceCollection AddPrivacy(this IServiceCollection services) => services.AddSingleton<AuditLog>();

    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/members").WithTags("Privacy").ProducesProblem(StatusCodes.Status404NotFound);
        members.MapGet("/{memberId}/export", Export)
            .WithName("ExportMember")
            .WithSummary("Everything stored about the member, as JSON (audited)");
        members.MapDelete("/{memberId}", Erase)
            .WithName("EraseMember")
            .WithSummary("Erase the member's personal data, keeping the anonymised ledger (audited, idempotent)");
        return app;
    }

    private static async Task<Results<Ok<MemberExport>, ProblemHttpResult>> Export(
        string memberId,
        HttpContext http,
        MemberStore store,
        ProgramDefinition program,
        AuditLog audit,
        IEnumerable<IPersonalDataSource> sources,
        TimeProvider time,
        ILoggerFactory logs,
        CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var actor = Actor(http, v);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var id = member!.Value;
        var partition = await store.ReadPartitionAsync(id, ct);
        if (partition is null)
        {
            return Problems.NotFound(memberId);
        }

        var sections = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            sections[source.Section] = await source.ExportAsync(id, ct);
        }

        // Audited before anything is handed out: if the audit cannot be written, nothing is exported.
        var now = time.GetUtcNow();
        await audit.RecordAsync(new AuditEntry(id, "export", actor, "exported", http.TraceIdentifier, now), ct);
        LogPrivacy(logs.CreateLogger(typeof(PrivacyApi)), "export", id.Value);
        return TypedResults.Ok(MemberExport.From(partition, program.Tiers, sections, now));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Erase(
        string memberId,
        HttpContext http,
        MemberStore store,
        AuditLog audit,
        IEnumerable<IPersonalDataSource> sources,
        TimeProvider time,
        ILoggerFactory logs,
        CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var actor = Actor(http, v);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var id = member!.Value;
        var erasure = await store.EraseAsync(id, ct);
        if (erasure is null)
        {
            return Problems.NotFound(memberId);
        }

        // On every request, not only the first: a repeated DELETE completes an erasure that failed part-way.
        foreach (var source in sources)
        {
            await source.EraseAsync(id, ct);
        }

        var outcome = erasure.ErasedNow ? "erased" : "already-erased";
        await audit.RecordAsync(new AuditEntry(id, "erase", actor, outcome, http.TraceIdentifier, time.GetUtcNow()), ct);
        LogPrivacy(logs.CreateLogger(typeof(PrivacyApi)), outcome, id.Value);
        return TypedResults.NoContent();
    }

    private static string Actor(HttpContext http, Validator v) =>
        http.Request.Headers.TryGetValue(ActorHeader, out var values)
            ? v.Text(ActorHeader, values.ToString(), 100, required: true) ?? Unspecified
            : Unspecified;

    [LoggerMessage(Level = LogLevel.Information, Message = "Privacy request {Action} done for {MemberId}")]
    private static partial void LogPrivacy(ILogger logger, string action, string memberId);
}
