using System.ComponentModel.DataAnnotations;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Outreach;

/// <summary>One outreach message of a member as support staff see it. No text and no phone number: the text is
/// rendered at send time and never stored.</summary>
/// <param name="Campaign"><c>birthday</c>, <c>expiry-warning</c>, <c>winback-at-risk</c> or <c>winback-lapsed</c>.</param>
/// <param name="Period">What it is for: the year of a birthday, the day points expire, the day of the last purchase.</param>
/// <param name="Status"><c>planned</c>, <c>sending</c>, <c>sent</c>, <c>skipped</c>, <c>failed</c> or <c>unconfirmed</c>.</param>
/// <param name="PlannedFor">When it is (or was last) due to go out.</param>
/// <param name="DeliveryStatus">What the carrier reported (<c>Delivered</c>, <c>Failed</c>), when it did.</param>
/// <param name="Reason">Why it was skipped, deferred or failed.</param>
public sealed record OutreachMessage(
    [property: ValuesOf(typeof(Campaign))] string Campaign,
    string Period,
    [property: AllowedValues("planned", "sending", "sent", "skipped", "failed", "unconfirmed")] string Status,
    DateTimeOffset PlannedFor,
    DateTimeOffset? SentAt,
    string? DeliveryStatus,
    string? Reason)
{
    public static OutreachMessage From(OutboxRow row) => new(
        row.Key.Campaign.Name(), row.Key.Period, row.Status, row.PlannedFor, row.SentAt, row.DeliveryStatus, row.Reason);
}

public static class OutreachApi
{
    public static IEndpointRouteBuilder MapOutreachApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/members/{memberId}/messages", GetMessages)
            .WithTags("Members")
            .WithName("GetMemberMessages")
            .WithSummary("The member's outreach messages (planned, sent, skipped), newest first")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<OutreachMessage>>, ProblemHttpResult>> GetMessages(
        string memberId, MemberStore store, Outbox outbox, CancellationToken ct)
    {
        if (!MemberId.TryParse(memberId, out var id))
        {
            return Problems.Invalid("memberId", $"Must be 1 to {Ids.MaxLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
        }

        var rows = outbox.ListAsync(id, ct);
        if (await store.GetAsync(id, ct) is null)
        {
            return Problems.NotFound(memberId);
        }

        IReadOnlyList<OutreachMessage> messages = [.. (await rows)
            .OrderByDescending(r => r.PlannedAt)
            .ThenBy(r => Outbox.RowKeyOf(r.Key), StringComparer.Ordinal)
            .Select(OutreachMessage.From)];
        return TypedResults.Ok(messages);
    }
}
