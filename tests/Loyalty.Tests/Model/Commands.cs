using System.Globalization;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>One step of a generated sequence: what a client (or the clock, or the nightly timer) does. Each command
/// knows its HTTP request; the reference model says what the answer must be.</summary>
public abstract record Command
{
    public abstract string Describe();

    protected static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A command that is an HTTP request to the app.</summary>
public abstract record Request : Command
{
    public abstract HttpMethod Method { get; }

    public abstract string Path { get; }

    /// <summary>The JSON body, or null for none.</summary>
    public abstract string? Body { get; }

    public override string Describe() => Text($"{Method} {Path} {Body}");
}

/// <summary><c>PUT /api/members/{id}</c>: enrols a member, or replaces their profile; <see cref="SmsOptIn"/> and
/// <see cref="SmsTransactional"/> are left out of the body when null (PUT replaces: absent is false).</summary>
public sealed record Enrol(
    string MemberId, string FirstName, string? Phone, string? Birthday, string TimeZone, string? ReferredBy, bool? SmsOptIn = null, bool? SmsTransactional = null) : Request
{
    public override HttpMethod Method => HttpMethod.Put;

    public override string Path => $"/api/members/{MemberId}";

    public override string? Body
    {
        get
        {
            var body = new JsonObject
            {
                ["firstName"] = FirstName,
                ["phone"] = Phone,
                ["birthday"] = Birthday,
                ["timeZone"] = TimeZone,
                ["referredBy"] = ReferredBy,
            };
            if (SmsOptIn is { } optIn)
            {
                body["smsOptIn"] = optIn;
            }

            if (SmsTransactional is { } transactional)
            {
                body["smsTransactional"] = transactional;
            }

            return body.ToJsonString();
        }
    }
}

/// <summary>An SMS from <see cref="From"/> saying <see cref="Message"/>, as Event Grid delivers ACS's SMS-received event to
/// the <c>SmsInbound</c> invocation; the same command again is a redelivery of the same event (same ids and time).</summary>
public sealed record SmsText(string From, string Message, string MessageId, DateTimeOffset ReceivedAt) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => "/" + Loyalty.Functions.Outreach.OutreachFunctions.SmsInbound;

    public override string? Body
    {
        get
        {
            var received = Outreach.SmsEvents.Received(From, Message, MessageId, ReceivedAt);
            received["id"] = "event-" + MessageId;
            return Outreach.SmsEvents.Invocation(received).ToJsonString();
        }
    }

    public override string Describe() => Text($"SMS {From} {Message} {MessageId} {ReceivedAt:O}");
}

public sealed record PurchaseLine(string Sku, string Category, decimal Quantity, decimal Amount);

/// <summary><c>POST /api/purchases</c>; <see cref="OccurredAt"/> is written in <see cref="Offset"/> (the member's
/// local time, as a till sends it).</summary>
public sealed record RecordPurchase(
    string PurchaseId, string MemberId, decimal Amount, string Currency, DateTimeOffset OccurredAt, TimeSpan Offset, string? StoreId, IReadOnlyList<PurchaseLine> Lines) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => "/api/purchases";

    public override string? Body
    {
        get
        {
            var body = new JsonObject
            {
                ["purchaseId"] = PurchaseId,
                ["memberId"] = MemberId,
                ["amount"] = Amount,
                ["currency"] = Currency,
                ["occurredAt"] = OccurredAt.ToOffset(Offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            };
            if (StoreId is not null)
            {
                body["storeId"] = StoreId;
            }

            if (Lines.Count > 0)
            {
                body["lines"] = new JsonArray([.. Lines.Select(l => (JsonNode)new JsonObject
                {
                    ["sku"] = l.Sku,
                    ["category"] = l.Category,
                    ["quantity"] = l.Quantity,
                    ["amount"] = l.Amount,
                })]);
            }

            return body.ToJsonString();
        }
    }
}

/// <summary><c>POST /api/returns</c>.</summary>
public sealed record RecordReturn(string ReturnId, string PurchaseId, string MemberId, decimal Amount, DateTimeOffset OccurredAt) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => "/api/returns";

    public override string? Body => new JsonObject
    {
        ["returnId"] = ReturnId,
        ["purchaseId"] = PurchaseId,
        ["memberId"] = MemberId,
        ["amount"] = Amount,
        ["occurredAt"] = OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ssZ", CultureInfo.InvariantCulture),
    }.ToJsonString();
}

/// <summary><c>POST /api/members/{id}/redemptions</c>.</summary>
public sealed record Redeem(string MemberId, string RedemptionId, string RewardId) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/redemptions";

    public override string? Body => new JsonObject { ["redemptionId"] = RedemptionId, ["rewardId"] = RewardId }.ToJsonString();
}

/// <summary><c>POST /api/members/{id}/redemptions/{redemptionId}/cancel</c>.</summary>
public sealed record Cancel(string MemberId, string RedemptionId) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/redemptions/{RedemptionId}/cancel";

    public override string? Body => null;
}

/// <summary><c>POST /api/members/{id}/adjustments</c>; <see cref="PointsJson"/> is the number as written (10, 10.0, 1e1).</summary>
public sealed record Adjust(string MemberId, string AdjustmentId, string PointsJson, string Reason) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/adjustments";

    public override string? Body => Text($$"""{"adjustmentId":"{{AdjustmentId}}","points":{{PointsJson}},"reason":"{{Reason}}"}""");
}

/// <summary><c>DELETE /api/members/{id}</c>.</summary>
public sealed record Erase(string MemberId) : Request
{
    public override HttpMethod Method => HttpMethod.Delete;

    public override string Path => $"/api/members/{MemberId}";

    public override string? Body => null;
}

/// <summary><c>POST /api/members/{id}/holds</c> with points, or an amount and currency the program prices in points.</summary>
public sealed record PlaceHold(string MemberId, string HoldId, long? Points, decimal? Amount, string? Currency, int Minutes) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/holds";

    public override string? Body
    {
        get
        {
            var body = new JsonObject { ["holdId"] = HoldId, ["expiresInMinutes"] = Minutes };
            if (Points is { } points)
            {
                body["points"] = points;
            }
            else
            {
                (body["amount"], body["currency"]) = (Amount, Currency);
            }

            return body.ToJsonString();
        }
    }
}

/// <summary><c>POST /api/members/{id}/holds/{holdId}/capture</c>; null points captures all the hold.</summary>
public sealed record CaptureHold(string MemberId, string HoldId, string OrderId, long? Points) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/holds/{HoldId}/capture";

    public override string? Body => Points is { } points
        ? new JsonObject { ["orderId"] = OrderId, ["points"] = points }.ToJsonString()
        : new JsonObject { ["orderId"] = OrderId }.ToJsonString();
}

/// <summary><c>POST /api/members/{id}/holds/{holdId}/release</c>.</summary>
public sealed record ReleaseHold(string MemberId, string HoldId) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/members/{MemberId}/holds/{HoldId}/release";

    public override string? Body => null;
}

/// <summary><c>POST /api/vouchers/{code}/uses</c>: the code as the till read it (the model learns codes from answers).</summary>
public sealed record UseVoucher(string Code, string UseId, string OrderId) : Request
{
    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => $"/api/vouchers/{Code}/uses";

    public override string? Body => new JsonObject { ["useId"] = UseId, ["orderId"] = OrderId }.ToJsonString();
}

/// <summary>A nightly job (<c>ExpirePoints</c>, <c>ReviewTiers</c>) invoked as the host invokes a timer function.</summary>
public sealed record RunJob(string Name) : Request
{
    public const string ExpirePoints = "ExpirePoints";
    public const string ReviewTiers = "ReviewTiers";

    public override HttpMethod Method => HttpMethod.Post;

    public override string Path => "/" + Name;

    public override string? Body => Infrastructure.Fixtures.Load("Functions/timer.json").ToJsonString();

    public override string Describe() => "RUN " + Name;
}

/// <summary>The clock moves forward.</summary>
public sealed record AdvanceClock(TimeSpan By) : Command
{
    public override string Describe() => Text($"CLOCK +{By}");
}

/// <summary>The same request sent to both app instances at the same time.</summary>
public sealed record Twice(Request Request) : Command
{
    public override string Describe() => "BOTH " + Request.Describe();
}

/// <summary>Purchases sent one after the other as one step (a till back-filling its history).</summary>
public sealed record Backfill(IReadOnlyList<RecordPurchase> Purchases) : Command
{
    public override string Describe() => Text(
        $"BACKFILL {Purchases.Count} purchases for {Purchases[0].MemberId}, {Purchases[0].PurchaseId}..{Purchases[^1].PurchaseId}, occurred {Purchases[0].OccurredAt:yyyy-MM-dd}..{Purchases[^1].OccurredAt:yyyy-MM-dd}");
}

/// <summary>A profile update and the member's erasure sent at the same time, to different instances.</summary>
public sealed record EraseDuringUpdate(Enrol Update) : Command
{
    public Erase Erase => new(Update.MemberId);

    public override string Describe() => "RACE " + Update.Describe() + " | " + Erase.Describe();
}

/// <summary>A keyword by SMS and a profile update of a member with that number (the phone unchanged) sent at the same
/// time, to different instances: either may go first.</summary>
public sealed record KeywordRace(SmsText Sms, Enrol Update) : Command
{
    public override string Describe() => "KEYRACE " + Sms.Describe() + " | " + Update.Describe();
}

/// <summary>A step of a sequence: the command and the app instance (0 or 1) it goes to.</summary>
public sealed record Step(int Number, Command Command, int Instance, DateTimeOffset At)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Number,3} @{At:yyyy-MM-dd'T'HH:mm:ss'Z'} [{Instance}] {Command.Describe()}");
}

/// <summary>A member row of an import file (<c>loyalty import --members</c>): the profile, dated lots and/or an opening
/// balance (whose points expire like points earned on the import day), a tier and an enrolment day.</summary>
public sealed record ImportRow(
    string MemberId, string FirstName, string? Phone, string? Birthday, string TimeZone, IReadOnlyList<(DateOnly Day, long Points)> Lots, long? Opening, string? Tier, DateOnly? EnrolledOn)
{
    public const string Header = "memberId,firstName,phone,birthday,locale,timeZone,smsOptIn,openingBalance,lots,tier,enrolledAt";

    /// <summary>The CSV line; also the row's content (the same line again is the same import).</summary>
    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"{MemberId},{FirstName},{Phone},{Birthday},,{TimeZone},,{Opening},{string.Join(';', Lots.Select(l => $"{ReferenceModel.Day(l.Day)}={l.Points}"))},{Tier},{(EnrolledOn is { } on ? ReferenceModel.Day(on) : "")}");
}

/// <summary><c>loyalty import</c> of a members file, run in-process against the same storage on the same clock.</summary>
public sealed record Import(IReadOnlyList<ImportRow> Rows) : Command
{
    public override string Describe() => "IMPORT " + string.Join(" / ", Rows.Select(r => r.Line));
}

/// <summary>An import and an API request sent at the same time (the request to one of the two app instances).</summary>
public sealed record ImportRace(Import Import, Request Request) : Command
{
    public override string Describe() => "RACE " + Import.Describe() + " | " + Request.Describe();
}
