using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;
using System.Text.Json.Serialization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Adjustments;

/// <summary>The body of <c>POST /api/members/{memberId}/adjustments</c>: customer service adds or takes points.</summary>
public sealed record AdjustmentRequest(
    [property: Required] string? AdjustmentId,
    [property: Required, JsonConverter(typeof(WholeNumberConverter))] long? Points,
    [property: Required] string? Reason);

public static class AdjustmentsApi
{
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
        string memberId, HttpRequest request, MemberStore store, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AdjustmentRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var adjustmentId = v.Id<OperationId>("adjustmentId", body!.AdjustmentId);
        var reason = v.Text("reason", body.Reason, 200, required: true);
        if (body.Points is not { } points || points == 0 || points is < -AdjustPoints.MaxPoints or > AdjustPoints.MaxPoints)
        {
            v.Add("points", $"Must be a whole number of points other than 0, between -{AdjustPoints.MaxPoints} and {AdjustPoints.MaxPoints}.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var result = await store.RunAsync(new AdjustPoints(adjustmentId!.Value, member!.Value, new Points(body.Points!.Value), reason!), ct);
        return Problems.Answer(result, $"/api/members/{memberId}/ledger", memberId, "adjustment", adjustmentId.Value.Value);
    }
}
