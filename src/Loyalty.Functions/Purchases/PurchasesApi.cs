using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Purchases;

public static class PurchasesApi
{
    public static IEndpointRouteBuilder MapPurchasesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/purchases", RecordPurchase)
            .WithTags("Purchases")
            .WithName("RecordPurchase")
            .WithSummary("Record a purchase and credit its points (idempotent by purchaseId)")
            .AcceptsJson<PurchaseRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesRefusals();
        app.MapPost("/purchases/quote", Quote)
            .WithTags("Purchases")
            .WithName("QuotePurchase")
            .WithSummary("What recording a purchase would earn now (points, each bonus with its rule, tier, vouchers); writes nothing")
            .AcceptsJson<PurchaseRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<QuoteResult>, ProblemHttpResult>> Quote(
        HttpRequest request, PurchaseRecorder recorder, MemberStore store, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<PurchaseRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        // The id is optional: a basket being rung up has no order id yet.
        var v = new Validator();
        var purchase = recorder.Validate(body! with { PurchaseId = body.PurchaseId ?? QuoteId }, v);
        if (purchase is null)
        {
            return Problems.Invalid(v.Errors);
        }

        var member = await store.GetAsync(purchase.MemberId, ct);
        if (member is null)
        {
            return Problems.NotFound(purchase.MemberId.Value);
        }

        return member.IsErased ? Problems.Refused(new MemberErased()) : TypedResults.Ok(recorder.Quote(member, purchase, body.PurchaseId is not null));
    }

    private const string QuoteId = "quote";

    private static async Task<Results<Created<PurchaseResult>, Ok<PurchaseResult>, ProblemHttpResult>> RecordPurchase(
        HttpRequest request, PurchaseRecorder recorder, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<PurchaseRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var purchase = recorder.Validate(body!, v);
        if (purchase is null)
        {
            return Problems.Invalid(v.Errors);
        }

        var result = await recorder.RecordAsync(purchase, ct);
        return Problems.Answer(result, $"/api/members/{purchase.MemberId.Value}/ledger", purchase.MemberId.Value, "purchase", purchase.PurchaseId.Value);
    }
}
