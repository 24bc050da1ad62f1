using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Purchases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Adjustments;

/// <summary>The body of <c>POST /api/members/{memberId}/adjustments</c>: customer service adds or takes points.</summary>
public sealed record AdjustmentRequest(string? AdjustmentId, long? Points, string? Reason);

public sealed record AdjustmentResult(string AdjustmentId, string MemberId, long Points, long Balance, string Reason);

public static class AdjustmentsApi
{
    public const string OperationKind = "adjust";
    public const long MaxPoints = 1_000_000;

    public static IEndpointRouteBuilder MapAdjustmentsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/members/{memberId}/adjustments", Adjust)
            .WithTags("Members")
            .WithName("AdjustPoints")
            .WithSummary("Add or take points for customer service, with the reason in the ledger (idempotent by adjustmentId)")
            .AcceptsJson<AdjustmentRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static async Task<Results<Created<AdjustmentResult>, Ok<AdjustmentResult>, ProblemHttpResult>> Adjust(
        string memberId, HttpRequest request, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AdjustmentRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var member = v.Id("memberId", memberId);
        var adjustmentId = v.Id("adjustmentId", body!.AdjustmentId);
        var reason = v.Text("reason", body.Reason, 200, required: true);
        if (body.Points is not { } points || points == 0 || Math.Abs(points) > MaxPoints)
        {
            v.Add("points", $"Must be a whole number of points other than 0, between -{MaxPoints} and {MaxPoints}.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var change = new Points(body.Points!.Value);
        var fingerprint = Fingerprints.Of(string.Join('\n', adjustmentId, member, change.Value.ToString(CultureInfo.InvariantCulture), reason));
        var result = await store.ExecuteAsync(MemberId.Parse(member!), new OperationKey(OperationKind, OperationId.Parse(adjustmentId!)), fingerprint, m =>
        {
            var posting = new Posting(m.Account, time.GetUtcNow());
            return Domain.Rules.Adjustments.Adjust(program, posting, change, reason!, adjustmentId!) is { } refusal
                ? Decision<AdjustmentResult>.Reject(refusal)
                : Decision<AdjustmentResult>.Commit(posting, new AdjustmentResult(adjustmentId!, member!, change.Value, posting.Account.Balance.Value, reason!));
        }, ct);

        return Problems.Answer(result, $"/api/members/{member}/ledger", member!, "adjustment", adjustmentId!);
    }
}
