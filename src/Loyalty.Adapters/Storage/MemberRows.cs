using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>How a member's partition looks: row keys, and the mapping between rows and domain values.</summary>
internal static class MemberRows
{
    public const string MemberRowKey = "member";
    public const string EntryPrefix = "entry|";
    public const string OperationPrefix = "op|";

    /// <summary>Ledger rows sort newest first: the row key is the inverted sequence number.</summary>
    public static string EntryRowKey(long seq) => EntryPrefix + (long.MaxValue - seq).ToString("D19", CultureInfo.InvariantCulture);

    public static StoredMember ToMember(TableEntity row)
    {
        var profile = new MemberProfile
        {
            FirstName = row.GetString("FirstName"),
            Phone = row.GetString("Phone"),
            Birthday = Birthday.TryParse(row.GetString("Birthday"), out var b) ? b : null,
            Locale = row.GetString("Locale") ?? "en",
            TimeZone = row.GetString("TimeZone") ?? "UTC",
            SmsOptIn = row.GetBoolean("SmsOptIn") ?? false,
            ReferredBy = MemberId.TryParse(row.GetString("ReferredBy"), out var r) ? r : null,
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
        };
        return new StoredMember(MemberId.Parse(row.PartitionKey), profile, account, row.ETag);
    }

    public static TableEntity ToRow(MemberId id, MemberProfile profile, Account account, DateTimeOffset updatedAt) => new(id.Value, MemberRowKey)
    {
        ["FirstName"] = profile.FirstName,
        ["Phone"] = profile.Phone,
        ["Birthday"] = profile.Birthday?.ToString(),
        ["Locale"] = profile.Locale,
        ["TimeZone"] = profile.TimeZone,
        ["SmsOptIn"] = profile.SmsOptIn,
        ["ReferredBy"] = profile.ReferredBy?.Value,
        ["EnrolledAt"] = account.EnrolledAt,
        ["UpdatedAt"] = updatedAt,
        ["Lifetime"] = account.Lifetime.Value,
        ["Tier"] = account.Tier,
        ["LastPurchaseAt"] = account.LastPurchaseAt,
        ["PurchaseCount"] = account.PurchaseCount,
        ["LastSeq"] = account.LastSeq,
        ["Lots"] = FormatLots(account.Lots),
        ["Debt"] = account.Debt.Value,

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

    // Lots sit in the member row as "2027-11-24=150;never=20", so a debit that touches any number of lots is
    // still one row replaced in the transaction (a transaction holds at most 100 rows).
    private static string FormatLots(IEnumerable<Lot> lots)
    {
        var text = new StringBuilder();
        foreach (var lot in lots)
        {
            text.Append(text.Length == 0 ? "" : ";")
                .Append(lot.ExpiresOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never")
                .Append('=')
                .Append(lot.Remaining.Value.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static IEnumerable<Lot> ParseLots(string? text)
    {
        foreach (var part in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var split = part.IndexOf('=', StringComparison.Ordinal);
            var date = part[..split];
            DateOnly? expires = date == "never" ? null : DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            yield return new Lot(expires, new Points(long.Parse(part[(split + 1)..], CultureInfo.InvariantCulture)));
        }
    }
}
