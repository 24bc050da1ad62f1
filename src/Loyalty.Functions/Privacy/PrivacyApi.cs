using System.Text.Json.Nodes;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Loyalty.Functions.Privacy;

/// <summary>A member's right to their data: export everything, or erase the personal part. Both are audited with the
/// caller's own name for themselves (<c>x-actor</c>), never with the member's data.</summary>
public static partial class PrivacyApi
{
    public const string ActorHeader = Actor.Header;
    public const string Unspecified = Actor.Unspecified;
    private const string ActorDescription = "Who asks, in the caller's own words (e.g. support:olga); kept in the audit log.";

    public static IServiceCollection AddPrivacy(this IServiceCollection services) => services.AddSingleton<AuditLog>();

    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/members").WithTags("Privacy").ProducesProblem(StatusCodes.Status404NotFound);
        members.MapGet("/{memberId}/export", Export)
            .WithName("ExportMember")
            .WithSummary("Everything stored about the member, as JSON (audited)")
            .DescribesHeader(ActorHeader, ActorDescription);
        members.MapDelete("/{memberId}", Erase)
            .WithName("EraseMember")
            .WithSummary("Erase the member's personal data, keeping the anonymised ledger (audited, idempotent)")
            .DescribesHeader(ActorHeader, ActorDescription);
        return app;
    }

    private static async Task<Results<Ok<MemberExport>, ProblemHttpResult>> Export(string memberId, [AsParameters] PrivacyServices services, CancellationToken ct)
    {
        var (read, problem) = services.Read(memberId);
        if (read is not { } request)
        {
            return problem!;
        }

        var partition = await services.Store.ReadPartitionAsync(request.Id, ct);
        if (partition is null)
        {
            return Problems.NotFound(memberId);
        }

        var sections = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var source in services.Sources)
        {
            sections[source.Section] = await source.ExportAsync(request.Id, ct);
        }

        // Audited before anything is handed out: if the audit cannot be written, nothing is exported.
        var now = await services.AuditAsync(request, "export", "exported", ct);
        return TypedResults.Ok(MemberExport.From(partition, services.Program, sections, now));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Erase(string memberId, [AsParameters] PrivacyServices services, CancellationToken ct)
    {
        var (read, problem) = services.Read(memberId);
        if (read is not { } request)
        {
            return problem!;
        }

        var erasure = await services.Store.EraseAsync(request.Id, request.Actor, ct);
        if (erasure is null)
        {
            return Problems.NotFound(memberId);
        }

        // On every request, not only the first: a repeated DELETE completes an erasure that failed part-way.
        foreach (var source in services.Sources)
        {
            await source.EraseAsync(request.Id, ct);
        }

        await services.AuditAsync(request, "erase", erasure.ErasedNow ? "erased" : "already-erased", ct);
        return TypedResults.NoContent();
    }

    /// <summary>What both privacy endpoints use, as one parameter object.
    /// Each service is marked so: the compile-time endpoint generator (Native AOT) otherwise leaves room for a request
    /// body, which the OpenAPI document then describes.</summary>
    internal sealed record PrivacyServices(
        HttpContext Http,
        [FromServices] MemberStore Store,
        [FromServices] ProgramDefinition Program,
        [FromServices] AuditLog Audit,
        [FromServices] IEnumerable<IPersonalDataSource> Sources,
        [FromServices] TimeProvider Time,
        [FromServices] ILoggerFactory Logs)
    {
        /// <summary>The member and the caller's name for themselves (<c>x-actor</c>), or the problem with them.</summary>
        public ((MemberId Id, string Actor)? Request, ProblemHttpResult? Problem) Read(string memberId)
        {
            var v = new Validator();
            var member = v.Id<MemberId>("memberId", memberId);
            var actor = Actor.Read(Http.Request, v);
            return v.HasErrors ? (null, Problems.Invalid(v.Errors)) : ((member!.Value, actor), null);
        }

        /// <summary>Records who did what to the member's data, never the data itself; returns when.</summary>
        public async Task<DateTimeOffset> AuditAsync((MemberId Id, string Actor) request, string action, string outcome, CancellationToken ct)
        {
            var now = Time.GetUtcNow();
            await Audit.RecordAsync(new AuditEntry(request.Id, action, request.Actor, outcome, Http.TraceIdentifier, now), ct);
            LogPrivacy(Logs.CreateLogger(typeof(PrivacyApi)), outcome, request.Id.Value);
            return now;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Privacy request {Action} done for {MemberId}")]
    private static partial void LogPrivacy(ILogger logger, string action, string memberId);
}
