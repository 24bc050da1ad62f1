using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Http;

/// <summary>The problem types of the API (RFC 9457) and the one place where outcomes become status codes.
/// Types are relative URIs under <c>/problems/</c>; the README lists them.</summary>
public static class Problems
{
    public const string Validation = "/problems/validation";
    public const string MalformedJson = "/problems/malformed-json";
    public const string PayloadTooLarge = "/problems/payload-too-large";
    public const string UnsupportedMediaType = "/problems/unsupported-media-type";
    public const string Unauthorized = "/problems/unauthorized";
    public const string MemberNotFound = "/problems/member-not-found";
    public const string IdempotencyConflict = "/problems/idempotency-conflict";
    public const string StorageUnavailable = "/problems/storage-unavailable";
    public const string FunctionNotFound = "/problems/function-not-found";

    public static string TypeOf(string slug) => "/problems/" + slug;

    /// <summary>Every problem type the API answers with (the OpenAPI document's enum of <c>type</c>): the types above, the
    /// framework's, and each refusal's slug.</summary>
    public static readonly string[] Types =
    [
        Validation, MalformedJson, PayloadTooLarge, UnsupportedMediaType, Unauthorized, MemberNotFound, IdempotencyConflict,
        StorageUnavailable, FunctionNotFound,
        .. new[]
        {
            "not-found", "method-not-allowed", "internal-error", "bad-request", "request-timeout", "phone-shared", "reward-not-found",
            "redemption-not-found", "purchase-not-found", "hold-not-found", "voucher-not-found",
            "account-not-empty", "capture-exceeds-hold", "card-taken", "commit-window-passed", "hold-not-active", "insufficient-points",
            "member-erased", "member-exists", "nothing-to-do", "out-of-stock", "points-out-of-range", "redemption-cancelled",
            "redemption-in-progress", "return-exceeds-purchase", "tier-required", "too-many-holds", "unknown-tier",
            "voucher-not-usable", "voucher-used",
        }.Select(TypeOf),
    ];

    /// <summary>Problems the framework writes itself (unknown route, wrong method, wrong content type, unhandled
    /// error) get this API's types too, so that clients can rely on <c>type</c> alone.</summary>
    public static void UseOwnTypes(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
        {
            problem.Type = problem.Status switch
            {
                400 => Validation,
                401 => Unauthorized,
                404 => TypeOf("not-found"),
                405 => TypeOf("method-not-allowed"),
                413 => PayloadTooLarge,
                415 => UnsupportedMediaType,
                _ => TypeOf("internal-error"),
            };
        }

        // Every problem says what to do about it, those the framework writes too.
        problem.Detail ??= problem.Status switch
        {
            400 => "The request could not be read.",
            401 => $"Send the API key in the {ApiKey.HeaderName} header.",
            404 => "No such route; the OpenAPI document at /api/openapi.json lists them.",
            405 => $"This path does not answer {context.HttpContext.Request.Method}; the OpenAPI document at /api/openapi.json lists its methods.",
            413 => $"The body is larger than {JsonBody.MaxBytes} bytes.",
            415 => "Send the body as JSON with the header Content-Type: application/json.",
            _ => "The server failed to answer; nothing is known to have been recorded. Retry the same request, or report the traceId.",
        };
    }

    /// <summary>400 with the fields at fault in <c>errors</c>.</summary>
    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors, string? detail = null, string title = "Invalid request", string type = Validation) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = 400,
            Title = title,
            Type = type,
            Detail = detail ?? "The request has invalid fields; see errors.",
        });

    public static ProblemHttpResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string memberId) =>
        TypedResults.Problem($"No member has the id '{memberId}'.", statusCode: 404, title: "Member not found", type: MemberNotFound);

    public static ProblemHttpResult Conflict(string what, string id) =>
        TypedResults.Problem(
            $"The {what} id '{id}' was already used with different content, or for another member; use a new id for a new {what}.",
            statusCode: 409, title: "Idempotency key reused", type: IdempotencyConflict);

    /// <summary>The answer to an idempotent member operation: 201 the first time, 200 with the same result on a replay,
    /// else the problem its status stands for (<paramref name="relatedNotFound"/> when what it refers to is missing).</summary>
    public static Results<Created<T>, Ok<T>, ProblemHttpResult> Answer<T>(
        OperationResult<T> result, string location, string memberId, string what, string id, ProblemHttpResult? relatedNotFound = null) => result.Status switch
        {
            OperationStatus.Created => TypedResults.Created(location, result.Value),
            OperationStatus.Replayed => TypedResults.Ok(result.Value),
            _ => For(result, memberId, what, id, relatedNotFound),
        };

    /// <summary>Maps the status of a member operation that did not produce a value.</summary>
    public static ProblemHttpResult For<T>(OperationResult<T> result, string memberId, string what, string id, ProblemHttpResult? relatedNotFound = null) => result.Status switch
    {
        OperationStatus.MemberNotFound => NotFound(memberId),
        OperationStatus.Conflict => Conflict(what, id),
        OperationStatus.Refused => Refused(result.Refusal!),
        OperationStatus.RelatedNotFound when relatedNotFound is not null => relatedNotFound,
        _ => throw new InvalidOperationException($"{result.Status} carries a value."),
    };

    /// <summary>The one place where a refusal of the rules becomes a status code: 422 when the request itself cannot be
    /// met (insufficient points, tier required, more than the returnable amount or the hold, an expired or void voucher),
    /// 409 when the state of something shared stands in the way (out of stock, an erased member, a redemption in progress
    /// or cancelled, a hold already captured, released or expired, a used voucher, a card another member holds), 400 for
    /// a referral the rules do not allow. The refusal's numbers become members of the problem.</summary>
    public static ProblemHttpResult Refused(Refusal refusal)
    {
        if (refusal is ReferralNotAllowed referral)
        {
            return Invalid("referredBy", referral.Detail);
        }

        var problem = new ProblemDetails
        {
            Status = refusal switch
            {
                MemberErased or OutOfStock or RedemptionInProgress or AlreadyCancelled or HoldNotActive or VoucherUsed or CardTaken => StatusCodes.Status409Conflict,
                VoucherNotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status422UnprocessableEntity,
            },
            Title = "Request refused by the program rules",
            Type = TypeOf(refusal.Slug),
            Detail = refusal.Detail,
        };
        foreach (var (name, value) in refusal.Figures)
        {
            problem.Extensions[name] = value;
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>422: the body names a reward the program does not have.</summary>
    public static ProblemHttpResult RewardNotFound(string rewardId) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["rewardId"] = [$"No reward has the id '{rewardId}'."] })
        {
            Status = 422,
            Title = "Reward not found",
            Type = TypeOf("reward-not-found"),
            Detail = $"The program has no reward '{rewardId}'; GET /api/rewards lists them.",
        });

    public static ProblemHttpResult RedemptionNotFound(string memberId, string redemptionId) => TypedResults.Problem(
        $"Member '{memberId}' has no redemption '{redemptionId}'.", statusCode: 404, title: "Redemption not found", type: TypeOf("redemption-not-found"));
}
