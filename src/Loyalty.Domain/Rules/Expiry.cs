using System.Globalization;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Rules;

public static class Expiry
{
    /// <summary>Posts one <c>expire</c> entry per lot whose day has come. Returns the points expired.</summary>
    public static Points Post(Posting posting, DateOnly today, string reference)
    {
        var expired = Points.Zero;
        while (posting.Account.Lots.FirstOrDefault() is { ExpiresOn: { } on } lot && on <= today)
        {
            // The lot is first in spending order, so the debit takes exactly it.
            var at = new DateTimeOffset(on.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            posting.Debit(LedgerKind.Expire, lot.Remaining, at, reference, "lot " + on.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            expired += lot.Remaining;
        }

        return expired;
    }
}
