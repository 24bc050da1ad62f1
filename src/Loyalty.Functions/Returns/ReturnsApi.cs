using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Returns;

/// <summary>The body of <c>POST /api/returns</c>: part or all of a recorded purchase came back.</summary>
/// <param name="Amount">In the purchase's currency.</param>
public sealed record ReturnRequest(
    [property: Required] string? ReturnId,
    [property: Required] string? PurchaseId,
    [property: Required] string? MemberId,
    [property: Required] decimal? Amount,
    [property: Required] string? OccurredAt);

public static class ReturnsApi
{
    public const string PurchaseNotFound = "/problems/purchase-not-found";

    public static IEndpointRouteBuilder MapReturnsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/returns", RecordReturn)
            .WithTags("Returns")
            .WithName("RecordReturn")
            .WithSummary("Take back what a purchase gave for the returned part: points in proportion, tier, threshold rewards (idempotent by returnId)")
            .AcceptsJson<ReturnRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static async Task<Results<Created<ReturnResult>, Ok<ReturnResult>, ProblemHttpResult>> RecordReturn(
        HttpRequest request, MemberStore store, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ReturnRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var returnId = v.Id<OperationId>("returnId", body!.ReturnId);
        var purchaseId = v.Id<OperationId>("purchaseId", body.PurchaseId);
        var memberId = v.Id<MemberId>("memberId", body.MemberId);
        var occurredAt = v.Timestamp("occurredAt", body.OccurredAt, time.GetUtcNow());
        if (body.Amount is not > 0)
        {
            v.Add("amount", body.Amount is null ? "Required." : "Must be greater than zero.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var command = new RecordReturn(returnId!.Value, purchaseId!.Value, memberId!.Value, body.Amount!.Value, occurredAt!.Value);
        var result = await store.RunAsync(command, ct);
        var member = memberId.Value.Value;
        var noPurchase = TypedResults.Problem(
            $"Member '{member}' has no purchase '{purchaseId.Value}'.", statusCode: 404, title: "Purchase not found", type: PurchaseNotFound);
        return Problems.Answer(result, $"/api/members/{member}/ledger", member, "return", returnId.Value.Value, noPurchase);
    }
}
