using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Rewards;

public static class RewardsApi
{
    /// <summary>Seconds a caller should wait before retrying a redemption that is still in progress elsewhere.</summary>
    private const string InProgressRetryAfter = "30";

    // A reward's stock is shared by every member, so its writers wait longer between attempts than one member's do.
    public static IServiceCollection AddRewards(this IServiceCollection services) => services
        .AddSingleton(sp => new RewardStock(
            sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), new Contention(sp.GetRequiredService<Random>(), maxDelayMilliseconds: 200)))
        .AddSingleton<RedemptionRecorder>();

    public static IEndpointRouteBuilder MapRewardsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/rewards", GetRewards)
            .WithTags("Rewards")
            .WithName("GetRewards")
            .WithSummary("The reward catalog; with memberId, what that member can afford")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var members = app.MapGroup("/members").WithTags("Rewards").ProducesProblem(StatusCodes.Status404NotFound);
        members.MapPost("/{memberId}/redemptions", Redeem)
            .WithName("Redeem")
            .WithSummary("Spend points on a reward (idempotent by redemptionId)")
            .AcceptsJson<RedemptionRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        members.MapGet("/{memberId}/redemptions", ListRedemptions).WithName("ListRedemptions").WithSummary("The member's redemptions and vouchers, newest first");
        members.MapGet("/{memberId}/redemptions/{redemptionId}", GetRedemption).WithName("GetRedemption").WithSummary("One redemption and its status");
        members.MapPost("/{memberId}/redemptions/{redemptionId}/cancel", CancelRedemption)
            .WithName("CancelRedemption")
            .WithSummary("Cancel a redemption: the points come back with their original expiry (idempotent)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<RewardResponse>>, ProblemHttpResult>> GetRewards(
        string? memberId, string? locale, RedemptionRecorder recorder, MemberStore store, CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId, required: false);
        if (locale is not null && (locale.Length is 0 or > 35 || !locale.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            v.Add("locale", "Must be a BCP 47 language tag such as en, zh-CN or ru.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        StoredMember? stored = null;
        if (member is { } id && (stored = await store.GetAsync(id, ct)) is null)
        {
            return Problems.NotFound(id.Value);
        }

        return TypedResults.Ok(await recorder.CatalogAsync(stored, locale ?? stored?.Profile.Locale ?? "en", ct));
    }

    private static async Task<Results<Created<RedemptionResult>, Ok<RedemptionResult>, ProblemHttpResult>> Redeem(
        string memberId, HttpRequest request, RedemptionRecorder recorder, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<RedemptionRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var redemptionId = v.Id<OperationId>("redemptionId", body!.RedemptionId);
        var rewardId = v.IdText("rewardId", body.RewardId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        if (recorder.Find(rewardId!) is not { } reward)
        {
            return Problems.RewardNotFound(rewardId!);
        }

        var result = await recorder.RedeemAsync(member!.Value, redemptionId!.Value, reward, ct);
        if (result.Refusal is RedemptionInProgress)
        {
            request.HttpContext.Response.Headers.RetryAfter = InProgressRetryAfter;
        }

        return Problems.Answer(result, $"/api/members/{memberId}/redemptions/{redemptionId.Value.Value}", memberId, "redemption", redemptionId.Value.Value);
    }

    private static async Task<Results<Ok<IReadOnlyList<RedemptionView>>, ProblemHttpResult>> ListRedemptions(
        string memberId, RedemptionRecorder recorder, CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var list = await recorder.ListAsync(member!.Value, ct);
        return list is null ? Problems.NotFound(memberId) : TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<RedemptionView>, ProblemHttpResult>> GetRedemption(
        string memberId, string redemptionId, RedemptionRecorder recorder, MemberStore store, CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var redemption = v.Id<OperationId>("redemptionId", redemptionId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        if (await recorder.GetAsync(member!.Value, redemption!.Value, ct) is { } view)
        {
            return TypedResults.Ok(view);
        }

        return await store.GetAsync(member.Value, ct) is null ? Problems.NotFound(memberId) : Problems.RedemptionNotFound(memberId, redemptionId);
    }

    private static async Task<Results<Ok<CancellationResult>, ProblemHttpResult>> CancelRedemption(
        string memberId, string redemptionId, RedemptionRecorder recorder, CancellationToken ct)
    {
        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var redemption = v.Id<OperationId>("redemptionId", redemptionId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var result = await recorder.CancelAsync(member!.Value, redemption!.Value, ct);
        return result.Status is OperationStatus.Created or OperationStatus.Replayed
            ? TypedResults.Ok(result.Value)
            : Problems.For(result, memberId, "cancellation", redemptionId, Problems.RedemptionNotFound(memberId, redemptionId));
    }
}
