using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Purchases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Returns;

/// <summary>The body of <c>POST /api/returns</c>: part or all of a recorded purchase came back.</summary>
/// <param name="Amount">In the purchase's currency.</param>
public sealed record ReturnRequest(string? ReturnId, string? PurchaseId, string? MemberId, decimal? Amount, string? OccurredAt);

/// <param name="PointsReversed">Points taken back by this return.</param>
/// <param name="Returnable">What of the purchase can still be returned.</param>
public sealed record ReturnResult(string ReturnId, string PurchaseId, string MemberId, long PointsReversed, long Balance, decimal ReturnedTotal, decimal Returnable);

public static class ReturnsApi
{
    public const string OperationKind = "return";
    public const string ExceedsPurchase = "return-exceeds-purchase";
    public const string PurchaseNotFound = "/problems/purchase-not-found";

    public static IEndpointRouteBuilder MapReturnsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/returns", RecordReturn)
            .WithTags("Returns")
            .WithName("RecordReturn")
            .WithSummary("Take back the points of returned goods, in proportion (idempotent by returnId)")
            .AcceptsJson<ReturnRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static async Task<Results<Created<ReturnResult>, Ok<ReturnResult>, ProblemHttpResult>> RecordReturn(
        HttpRequest request, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ReturnRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var returnId = v.Id("returnId", body!.ReturnId);
        var purchaseId = v.Id("purchaseId", body.PurchaseId);
        var memberId = v.Id("memberId", body.MemberId);
        var occurredAt = v.Timestamp("occurredAt", body.OccurredAt, time.GetUtcNow());
        if (body.Amount is not > 0)
        {
            v.Add("amount", body.Amount is null ? "Required." : "Must be greater than zero.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var amount = body.Amount!.Value;
        var member = MemberId.Parse(memberId!);
        var purchaseKey = new OperationKey(PurchaseRecorder.OperationKind, OperationId.Parse(purchaseId!));
        var fingerprint = Fingerprints.Of(string.Join('\n', returnId, purchaseId, memberId, amount.ToString(CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.'), occurredAt!.Value.UtcTicks));

        var result = await store.ExecuteAsync(member, new OperationKey(OperationKind, OperationId.Parse(returnId!)), fingerprint, purchaseKey, (m, purchaseOp) =>
        {
            var details = purchaseOp!.Details<PurchaseDetails>()!;
            var record = details.Record;
            if (amount > record.Returnable || !Currency.Parse(record.Currency).Allows(amount))
            {
                return Decision<ReturnResult>.Reject(ExceedsPurchase);
            }

            var posting = new Posting(m.Account, time.GetUtcNow());
            var after = Domain.Rules.Returns.Reverse(program, posting, record, amount, occurredAt.Value, returnId!);
            var reversed = -posting.Net.Value;
            var result = new ReturnResult(returnId!, purchaseId!, memberId!, reversed, posting.Account.Balance.Value, after.ReturnedAmount, after.Returnable);
            return Decision<ReturnResult>.Commit(posting, result, relatedDetails: details with { Record = after });
        }, ct);

        var noPurchase = TypedResults.Problem($"Member '{memberId}' has no purchase '{purchaseId}'.", statusCode: 404, title: "Purchase not found", type: PurchaseNotFound);
        return Problems.Answer(result, $"/api/members/{memberId}/ledger", memberId!, "return", returnId!, noPurchase);
    }
}
