using System.Globalization;
using System.Collections.Immutable;
using System.Text.Json;
using Azure.Data.Tables;
using Loyalty.Adapters.Json;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>How a member's partition looks: row keys, and the mapping between rows and domain values.</summary>
internal static class MemberRows
{
    public const string MemberRowKey = "member";
    public const string EntryPrefix = "entry|";
    public const string OperationPrefix = "op|";

    public static string OperationRowKey(OperationKey key) => $"{OperationPrefix}{key.Kind}|{key.Id.Value}";

    /// <summary>Every row of the member's partition whose key starts with <paramref name="prefix"/> (ending in <c>|</c>),
    /// in row-key order, each made into a <typeparamref name="T"/>.</summary>
    public static async Task<IReadOnlyList<T>> ReadPrefixAsync<T>(
        this TableClient table, MemberId id, string prefix, Func<TableEntity, T> map, CancellationToken ct)
    {
        var end = prefix[..^1] + "}";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Value} and RowKey gt {prefix} and RowKey lt {end}");
        var rows = new List<T>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            rows.Add(map(row));
        }

        return rows;
    }

    /// <summary>Ledger rows sort newest first: the row key is the inverted sequence number.</summary>
    public static string EntryRowKey(long seq) => EntryPrefix + (long.MaxValue - seq).ToString("D19", CultureInfo.InvariantCulture);

    public static StoredMember ToMember(TableEntity row)
    {
        var profile = new MemberProfile
        {
            FirstName = row.GetString("FirstName"),
            Phone = row.GetString("Phone"),
            PhoneSince = row.GetDateTimeOffset("PhoneSince"),
            Birthday = Birthday.TryParse(row.GetString("Birthday"), out var b) ? b : null,
            Locale = row.GetString("Locale") ?? "en",
            TimeZone = row.GetString("TimeZone") ?? "UTC",
            Sms = ReadConsent(row),
            ReferredBy = MemberId.TryParse(row.GetString("ReferredBy"), out var r) ? r : null,
            Cards = (row.GetString("Cards") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries),
        };
        var account = new Account
        {
            EnrolledAt = row.GetDateTimeOffset("EnrolledAt") ?? default,
            Lifetime = new Points(row.GetInt64("Lifetime") ?? 0),
            Tier = row.GetString("Tier"),
            LastPurchaseAt = row.GetDateTimeOffset("LastPurchaseAt"),
            PurchaseCount = row.GetInt32("PurchaseCount") ?? 0,
            LastSeq = row.GetInt64("LastSeq") ?? 0,
            Lots = [.. ParseLots(row.GetString("Lots"))],
            Debt = new Points(row.GetInt64("Debt") ?? 0),
            Months = Pairs(row.GetString("Months")).ToImmutableSortedDictionary(p => MonthKey.Parse(p.Key), p => ParseActivity(p.Value)),
            TierReviewOn = row.GetString("TierReviewOn") is { } review ? ParseDay(review) : null,
            Owed = new Points(row.GetInt64("Owed") ?? 0),
            Grants = FromJson<ImmutableList<Grant>>(row.GetString("Grants")) ?? [],
            Vouchers = FromJson<ImmutableList<Voucher>>(row.GetString("Vouchers")) ?? [],
            Holds = FromJson<ImmutableList<Hold>>(row.GetString("Holds")) ?? [],
            Pending = FromJson<ImmutableList<PendingPoints>>(row.GetString("Pending")) ?? [],
        };
        var hints = (row.GetString("Hints") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new StoredMember(
            MemberId.Parse(row.PartitionKey), profile, account, row.ETag, row.GetDateTimeOffset("ErasedAt"), hints, row.GetInt64("EventSeq") ?? 0);
    }

    // Rows written before consent had states know only SmsOptIn.
    private static SmsConsent ReadConsent(TableEntity row) => new()
    {
        State = row.GetString("SmsConsent") is { } state ? SmsConsent.Parse(state) : row.GetBoolean("SmsOptIn") == true ? ConsentState.Granted : ConsentState.None,
        Since = row.GetDateTimeOffset("SmsConsentSince"),
        PendingUntil = row.GetDateTimeOffset("SmsPendingUntil"),
        Transactional = row.GetBoolean("SmsTransactional") ?? false,
    };

    public static TableEntity ToRow(StoredMember m, DateTimeOffset updatedAt) => ToRow(m.Id, m.Profile, m.Account, updatedAt, m.ErasedAt, m.PersonalHints, m.EventSeq);

    private static TableEntity ToRow(
        MemberId id, MemberProfile profile, Account account, DateTimeOffset updatedAt, DateTimeOffset? erasedAt, IReadOnlySet<string> hints, long eventSeq) =>
        new(id.Value, MemberRowKey)
        {
            ["ErasedAt"] = erasedAt,
            ["EventSeq"] = eventSeq,
            ["Hints"] = string.Join(';', hints.Order(StringComparer.Ordinal)),
            ["FirstName"] = profile.FirstName,
            ["Phone"] = profile.Phone,
            ["PhoneSince"] = profile.PhoneSince,
            ["Birthday"] = profile.Birthday?.ToString(),
            ["Locale"] = profile.Locale,
            ["TimeZone"] = profile.TimeZone,
            ["SmsOptIn"] = profile.SmsOptIn,
            ["SmsConsent"] = SmsConsent.Name(profile.Sms.State),
            ["SmsConsentSince"] = profile.Sms.Since,
            ["SmsPendingUntil"] = profile.Sms.PendingUntil,
            ["SmsTransactional"] = profile.Sms.Transactional,
            ["ReferredBy"] = profile.ReferredBy?.Value,
            ["Cards"] = profile.Cards.Count == 0 ? null : string.Join(';', profile.Cards),
            ["EnrolledAt"] = account.EnrolledAt,
            ["UpdatedAt"] = updatedAt,
            ["Lifetime"] = account.Lifetime.Value,
            ["Tier"] = account.Tier,
            ["LastPurchaseAt"] = account.LastPurchaseAt,
            ["PurchaseCount"] = account.PurchaseCount,
            ["LastSeq"] = account.LastSeq,
            ["Lots"] = FormatLots(account.Lots),
            ["Debt"] = account.Debt.Value,
            ["Months"] = Join(account.Months.Select(m => (m.Key.ToString(), $"{Inv(m.Value.Spend)}/{Inv(m.Value.Points)}"))),
            ["TierReviewOn"] = account.TierReviewOn is { } review ? Day(review) : null,
            ["Owed"] = account.Owed.Value,
            ["Grants"] = account.Grants.IsEmpty ? null : JsonSerializer.Serialize(account.Grants, Json.For<ImmutableList<Grant>>()),
            ["Vouchers"] = account.Vouchers.IsEmpty ? null : JsonSerializer.Serialize(account.Vouchers, Json.For<ImmutableList<Voucher>>()),
            ["Holds"] = account.Holds.IsEmpty ? null : JsonSerializer.Serialize(account.Holds, Json.For<ImmutableList<Hold>>()),
            ["Pending"] = account.Pending.IsEmpty ? null : JsonSerializer.Serialize(account.Pending, Json.For<ImmutableList<PendingPoints>>()),

            // Derived, for people reading the table in Storage Explorer; never read back.
            ["Balance"] = account.Balance.Value,
        };

    public static TableEntity ToRow(MemberId id, LedgerEntry e) => new(id.Value, EntryRowKey(e.Seq))
    {
        ["Seq"] = e.Seq,
        ["Kind"] = e.Kind.ToString(),
        ["Points"] = e.Points.Value,
        ["BalanceAfter"] = e.BalanceAfter.Value,
        ["OccurredAt"] = e.OccurredAt,
        ["RecordedAt"] = e.RecordedAt,
        ["Reference"] = e.Reference,
        ["Note"] = e.Note,
    };

    public static LedgerEntry ToEntry(TableEntity row) => new(
        row.GetInt64("Seq") ?? 0,
        Enum.Parse<LedgerKind>(row.GetString("Kind")),
        new Points(row.GetInt64("Points") ?? 0),
        new Points(row.GetInt64("BalanceAfter") ?? 0),
        row.GetDateTimeOffset("OccurredAt") ?? default,
        row.GetDateTimeOffset("RecordedAt") ?? default,
        row.GetString("Reference") ?? "",
        row.GetString("Note"));

    private static readonly JsonSerializerOptions Json = StorageJson.Rows;

    private static T? FromJson<T>(string? json) => json is null ? default : JsonSerializer.Deserialize(json, Json.For<T>());

    // Lots and months sit in the member row as "key=value;key=value" lists ("2027-11-24=150;never=20"),
    // so a debit that touches any number of lots is still one row replaced in the transaction (a transaction
    // holds at most 100 rows), and the whole account is read in one request.
    private static string FormatLots(IEnumerable<Lot> lots) =>
        Join(lots.Select(l => (l.ExpiresOn is { } on ? Day(on) : "never", Inv(l.Remaining.Value))));

    private static IEnumerable<Lot> ParseLots(string? text) =>
        Pairs(text).Select(p => new Lot(p.Key == "never" ? null : ParseDay(p.Key), new Points(long.Parse(p.Value, CultureInfo.InvariantCulture))));

    private static Activity ParseActivity(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return new Activity(decimal.Parse(text[..slash], CultureInfo.InvariantCulture), long.Parse(text[(slash + 1)..], CultureInfo.InvariantCulture));
    }

    private static string Join(IEnumerable<(string Key, string Value)> pairs) => string.Join(';', pairs.Select(p => $"{p.Key}={p.Value}"));

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string? text) =>
        (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Select(kv => KeyValuePair.Create(kv[0], kv[1]));

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Inv(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    private static string Inv(long l) => l.ToString(CultureInfo.InvariantCulture);
}
