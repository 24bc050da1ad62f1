using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Events;

/// <summary>The events of what a posting changed in the account besides points: the tier, and each voucher given or
/// whose status moved. Derived from the account before and after, so that every operation (today's and those to come)
/// publishes a tier change or a voucher's fate without saying so itself, and none can forget to.</summary>
public static class AccountEvents
{
    public static IEnumerable<DomainEvent> Between(Account before, Account after, OperationKey cause, TierRules tiers)
    {
        var (from, to) = (tiers.Shown(before.Tier), tiers.Shown(after.Tier));
        if (from != to)
        {
            yield return new DomainEvent(EventCatalog.TierChanged, new TierChanged(from, to, cause.Kind, cause.Id.Value));
        }

        var earlier = before.Vouchers.ToDictionary(v => v.Code, StringComparer.Ordinal);
        foreach (var voucher in after.Vouchers)
        {
            if (!earlier.TryGetValue(voucher.Code, out var was))
            {
                yield return new DomainEvent(EventCatalog.VoucherIssued, new VoucherIssued(voucher.Code, voucher.RewardId, voucher.Source, cause.Id.Value));
            }
            else if (was.Status != voucher.Status && KindOf(voucher.Status) is { } kind)
            {
                yield return new DomainEvent(kind, new VoucherChanged(voucher.Code, voucher.RewardId, cause.Id.Value));
            }
        }
    }

    private static EventKind? KindOf(VoucherStatus status) => status switch
    {
        VoucherStatus.Void => EventCatalog.VoucherVoided,
        VoucherStatus.Used => EventCatalog.VoucherUsed,
        VoucherStatus.Expired => EventCatalog.VoucherExpired,
        _ => null,
    };
}
