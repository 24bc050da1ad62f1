using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;
using System.Text.Json.Serialization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Holds;

/// <summary>The body of <c>POST /api/members/{memberId}/holds</c>: <paramref name="Points"/>, or an
/// <paramref name="Amount"/> and <paramref name="Currency"/> that the program's rate turns into points.</summary>
public sealed record HoldRequest(
    [property: Required] string? HoldId,
    [property: JsonConverter(typeof(WholeNumberConverter))] long? Points,
    decimal? Amount,
    string? Currency,
    [property: JsonConverter(typeof(WholeNumberConverter))] long? ExpiresInMinutes);

/// <summary>The body of <c>POST /api/members/{memberId}/holds/{holdId}/capture</c>: the order the points pay for and,
/// for a partial capture, how many of the held points it takes (the rest is released).</summary>
public sealed record CaptureRequest([property: Required] string? OrderId, [property: JsonConverter(typeof(WholeNumberConverter))] long? Points);

/// <summary>Pay with points at a till: a hold reserves points for a basket, a capture turns them into a <c>burn</c> debit
/// for the order, a release (or the hold's expiry) gives them back.</summary>
public static class HoldsApi
{
    /// <summary>The largest hold, in points.</summary>
    public const long MaxPoints = 100_000_000;

    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder app)
    {
        var holds = app.MapGroup("/members/{memberId}").WithTags("Pay with points").ProducesProblem(StatusCodes.Status404NotFound);
        holds.MapPost("/holds", Hold)
            .WithName("PlaceHold")
            .WithSummary("Reserve available points for a basket (idempotent by holdId)")
            .AcceptsJson<HoldRequest>()
            .ProducesRefusals();
        holds.MapGet("/holds/{holdId}", GetHold).WithName("GetHold").WithSummary("A hold and its status: held, captured, released or expired");
        holds.MapPost("/holds/{holdId}/capture", Capture)
            .WithName("CaptureHold")
            .WithSummary("Pay an order with held points (a burn entry); a partial capture releases the rest (idempotent)")
            .AcceptsJson<CaptureRequest>()
            .ProducesRefusals();
        holds.MapPost("/holds/{holdId}/release", Release)
            .WithName("ReleaseHold")
            .WithSummary("Give held points back (idempotent)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Created<HoldResult>, Ok<HoldResult>, ProblemHttpResult>> Hold(
        string memberId, HttpRequest request, MemberStore store, ProgramDefinition program, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<HoldRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var member = v.Id<MemberId>("memberId", memberId);
        var holdId = v.Id<OperationId>("holdId", body!.HoldId);
        var (points, amount) = Price(v, body, program);
        var minutes = body.ExpiresInMinutes ?? PlaceHold.DefaultMinutes;
        if (minutes is < 1 or > PlaceHold.MaxMinutes)
        {
            v.Add("expiresInMinutes", $"Must be a whole number of minutes from 1 to {PlaceHold.MaxMinutes}.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var result = await store.RunAsync(new PlaceHold(holdId!.Value, member!.Value, points, amount, (int)minutes), ct);
        return Problems.Answer(result, Location(memberId, holdId.Value.Value), memberId, "hold", holdId.Value.Value);
    }

    private static async Task<Results<Ok<HoldResult>, ProblemHttpResult>> GetHold(
        string memberId, string holdId, MemberStore store, TimeProvider time, CancellationToken ct)
    {
        var v = new Validator();
        var (member, hold) = Ids(v, memberId, holdId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var read = store.GetOperationAsync(member!.Value, new OperationKey(OperationKinds.Hold, hold!.Value), ct);
        var stored = await store.GetAsync(member.Value, ct);
        if (stored is null)
        {
            return Problems.NotFound(memberId);
        }

        return await read is { } op && op.Record<HoldRecord>() is { } record
            ? TypedResults.Ok(record.View(holdId, memberId, stored.Account, time.GetUtcNow()))
            : HoldNotFound(memberId, holdId);
    }

    private static async Task<Results<Ok<HoldResult>, ProblemHttpResult>> Capture(
        string memberId, string holdId, HttpRequest request, MemberStore store, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<CaptureRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var (member, hold) = Ids(v, memberId, holdId);
        var orderId = v.Id<OperationId>("orderId", body!.OrderId);
        if (body.Points is < 1 or > MaxPoints)
        {
            v.Add("points", $"Must be a whole number of points from 1 to {MaxPoints}, at most what the hold reserves.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var points = body.Points is { } p ? new Points(p) : (Points?)null;
        return Settled(await store.RunAsync(new CaptureHold(hold!.Value, member!.Value, orderId!.Value, points), ct), memberId, holdId, "capture");
    }

    private static async Task<Results<Ok<HoldResult>, ProblemHttpResult>> Release(
        string memberId, string holdId, MemberStore store, CancellationToken ct)
    {
        var v = new Validator();
        var (member, hold) = Ids(v, memberId, holdId);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        return Settled(await store.RunAsync(new ReleaseHold(hold!.Value, member!.Value), ct), memberId, holdId, "release");
    }

    // A capture or release acts on the hold: 200 the first time and on every replay.
    private static Results<Ok<HoldResult>, ProblemHttpResult> Settled(OperationResult<HoldResult> result, string memberId, string holdId, string what) =>
        result.Status is OperationStatus.Created or OperationStatus.Replayed
            ? TypedResults.Ok(result.Value)
            : Problems.For(result, memberId, what, holdId, HoldNotFound(memberId, holdId));

    /// <summary>The points to hold: given, or the price in points of an amount at the currency's rate, rounded up so
    /// that the points always cover the amount.</summary>
    private static (Points Points, Money? Amount) Price(Validator v, HoldRequest body, ProgramDefinition program)
    {
        if ((body.Points is null) == (body.Amount is null && body.Currency is null))
        {
            v.Add("points", "Give either points, or amount and currency.");
            return default;
        }

        if (body.Points is { } points)
        {
            if (points is < 1 or > MaxPoints)
            {
                v.Add("points", $"Must be a whole number of points from 1 to {MaxPoints}.");
            }

            return (new Points(points), null);
        }

        if (v.Required("currency", body.Currency) is null || body.Amount is not { } amount)
        {
            v.Required("amount", body.Amount is null ? null : "");
            return default;
        }

        if (!Currency.TryParse(body.Currency, out var currency) || !program.Currencies.TryGetValue(currency.Code, out var rule) || rule.PointsToPay is not { } rate)
        {
            v.Add("currency", $"Points cannot pay in this currency; they pay in {string.Join(", ", program.Currencies.Where(c => c.Value.PointsToPay is not null).Select(c => c.Key))}.");
            return default;
        }

        var price = amount * rate;
        if (amount <= 0 || !currency.Allows(amount) || price > MaxPoints)
        {
            v.Add("amount", $"Must be greater than zero, with at most {currency.MinorUnits} decimal places, and worth at most {MaxPoints} points ({rate} points per 1 {currency.Code}).");
            return default;
        }

        return (new Points((long)decimal.Ceiling(price)), new Money(amount, currency));
    }

    private static (MemberId? Member, OperationId? Hold) Ids(Validator v, string memberId, string holdId) =>
        (v.Id<MemberId>("memberId", memberId), v.Id<OperationId>("holdId", holdId));

    private static string Location(string memberId, string holdId) => $"/api/members/{memberId}/holds/{holdId}";

    private static ProblemHttpResult HoldNotFound(string memberId, string holdId) => TypedResults.Problem(
        $"Member '{memberId}' has no hold '{holdId}'.", statusCode: 404, title: "Hold not found", type: Problems.TypeOf("hold-not-found"));
}
