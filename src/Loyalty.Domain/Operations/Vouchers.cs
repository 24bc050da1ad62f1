using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

/// <summary>What using a voucher gives back, the first time and on every replay.</summary>
public sealed record VoucherUseResult(string UseId, string Code, string MemberId, string RewardId, string OrderId, string? StoreId, DateTimeOffset UsedAt);

/// <summary>Marks a voucher used at a till, once: a replay of the same use answers the same; another use of a used
/// voucher is refused, and so is a use of an expired or void one, with the reason. Idempotent by the use id, which is
/// unique in the program.</summary>
public sealed record UseVoucher(OperationId UseId, MemberId Member, string Code, OperationId OrderId, string? StoreId)
    : MemberOperation<VoucherUseResult>(Member, new OperationKey(OperationKinds.VoucherUse, UseId))
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, UseId.Value, Code, OrderId.Value, StoreId);

    public override bool ClaimsId => true;

    public override Outcome<VoucherUseResult> Decide(Member member, object? related, OperationContext context)
    {
        var now = context.Now;
        if (member.Account.Vouchers.FirstOrDefault(v => v.Code == Code) is not { } stored)
        {
            return new VoucherNotFound(Code);
        }

        switch (stored.At(now))
        {
            case { Status: VoucherStatus.Used, Use: var use }:
                return new VoucherUsed(Code, use?.UsedAt ?? stored.IssuedAt);
            case { Status: VoucherStatus.Expired or VoucherStatus.Void } ended:
                return new VoucherNotUsable(Code, ended.Status.ToString().ToLowerInvariant(), ended.ExpiresOn);
        }

        var posting = new Posting(member.Account, now);
        var used = stored with { Status = VoucherStatus.Used, Use = new VoucherUse(UseId.Value, OrderId.Value, StoreId, now) };
        posting.Update(a => a with { Vouchers = a.Vouchers.Replace(stored, used) });
        return Outcome<VoucherUseResult>.Commit(posting, new VoucherUseResult(UseId.Value, Code, Member.Value, stored.RewardId, OrderId.Value, StoreId, now));
    }
}
