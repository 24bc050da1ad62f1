using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace Loyalty.Adapters.Storage;

/// <summary>The tables the app uses. The members table holds one partition per member; the others are small
/// indexes that let nightly jobs read only the members who are due.</summary>
public static class Tables
{
    /// <summary>One partition per member: the member row, ledger entries, operation rows.</summary>
    public const string Members = "members";

    /// <summary>Birthday hints: PartitionKey <c>MMdd</c>, RowKey member id.</summary>
    public const string Birthdays = "birthdays";

    /// <summary>Last-purchase hints: PartitionKey <c>yyyyMMdd</c> (UTC date of the last purchase), RowKey member id.</summary>
    public const string LastPurchase = "lastpurchase";

    /// <summary>Lot-expiry hints: PartitionKey <c>yyyyMMdd</c> (the day points expire), RowKey member id.</summary>
    public const string LotExpiry = "lotexpiry";

    /// <summary>Tier-review hints: PartitionKey <c>yyyyMMdd</c> (the member's review day), RowKey member id.</summary>
    public const string TierReview = "tierreview";

    /// <summary>Stock of limited rewards, shared by all members: one partition per reward id holding a <c>stock</c> row
    /// and one reservation row per redemption (see <see cref="RewardStock"/>).</summary>
    public const string Rewards = "rewards";

    /// <summary>Who exported or erased a member's data, and when: PartitionKey member id, RowKey time and a random suffix.
    /// No personal data of the member.</summary>
    public const string Audit = "audit";

    /// <summary>Phone hints, for finding the member an inbound SMS comes from: PartitionKey the keyed HMAC of the E.164
    /// number (<see cref="PhoneKeys"/>), RowKey member id.</summary>
    public const string Phones = "phones";

    /// <summary>Claims of ids unique in the program (<see cref="Storage.Claims"/>): PartitionKey <c>{kind}|{id}</c>, the member
    /// in <c>Member</c>.</summary>
    public const string Claims = "claims";

    /// <summary>Outreach messages in <c>sending</c>: PartitionKey member id, RowKey <c>{campaign}|{period}</c>. Written
    /// before a message moves to sending and deleted once it has a final status, so it holds only messages in flight or
    /// left behind, and the reconciliation reads it whole.</summary>
    public const string Sending = "outreachsending";

    /// <summary>Members who may have events to publish (<see cref="Events.EventOutbox"/>): PartitionKey <c>pending</c>,
    /// RowKey member id, written before each change that adds events.</summary>
    public const string EventsPending = "eventspending";

    /// <summary>Members whose published events become old enough to delete: PartitionKey <c>yyyyMMdd</c>, RowKey member id.</summary>
    public const string EventCleanup = "eventcleanup";

    public static readonly IReadOnlyList<string> All = [Members, Birthdays, LastPurchase, LotExpiry, TierReview, Phones, Rewards, Audit, Claims, EventsPending, EventCleanup, Sending];

    /// <summary>Creates those of <see cref="All"/> that do not exist yet. With <c>CreateTableAsync</c>, a 409 "already
    /// exists" taken as done: the SDK's <c>CreateTableIfNotExistsAsync</c> serializes its request body by reflection
    /// (Azure.Data.Tables 12.13), which the native handler does not have.</summary>
    public static Task CreateAllAsync(TableServiceClient service, CancellationToken ct) => Task.WhenAll(All.Select(async table =>
    {
        try
        {
            await service.CreateTableAsync(table, ct);
        }
        catch (RequestFailedException e) when (e.Status == 409 && e.ErrorCode == TableErrorCode.TableAlreadyExists)
        {
        }
    }));
}
