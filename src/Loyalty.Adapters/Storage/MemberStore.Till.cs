using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>What a till needs besides operations: finding a member by phone, card or voucher code through keyed hints
/// and claims (never a scan), and the claims that keep card numbers and voucher codes unique in the program.</summary>
public sealed partial class MemberStore
{
    /// <summary>The claim kind of voucher codes: a claim names the member whose voucher it is.</summary>
    public const string VoucherCodeKind = "voucher";

    /// <summary>The members (not erased) whose profile has the E.164 number, through the phone index. A number may
    /// belong to more than one member (a family sharing a phone).</summary>
    public async Task<IReadOnlyList<StoredMember>> FindByPhoneAsync(string e164, CancellationToken ct)
    {
        var ids = new HashSet<MemberId>();
        foreach (var partition in indexes.PhonePartitions(e164))
        {
            await foreach (var hint in indexes.PartitionAsync(Tables.Phones, partition, ct))
            {
                ids.Add(hint.Member);
            }
        }

        // Hints are hints: only a member whose profile still has the number counts.
        var members = await Task.WhenAll(ids.Select(id => GetAsync(id, ct)));
        return [.. members.OfType<StoredMember>().Where(m => !m.IsErased && m.Profile.Phone == e164).OrderBy(m => m.Id.Value, StringComparer.Ordinal)];
    }

    /// <summary>The member (not erased) whose profile has the card, through its claim.</summary>
    public async Task<StoredMember?> FindByCardAsync(string card, CancellationToken ct)
    {
        foreach (var claim in indexes.CardClaims(card))
        {
            if (await claims.HolderAsync(claim, ct) is { } id && await GetAsync(id, ct) is { IsErased: false } member && member.Profile.Cards.Contains(card))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>The member who holds the voucher <paramref name="code"/> and the voucher, through the code's claim.</summary>
    public async Task<(StoredMember Member, Voucher Voucher)?> FindVoucherAsync(string code, CancellationToken ct)
    {
        if (!OperationId.TryParse(code, out var id) || await claims.HolderAsync(new OperationKey(VoucherCodeKind, id), ct) is not { } holder
            || await GetAsync(holder, ct) is not { } member || member.Account.Vouchers.FirstOrDefault(v => v.Code == code) is not { } voucher)
        {
            return null;
        }

        return (member, voucher);
    }

    /// <summary>Claims the codes of vouchers the change issues, before it commits, so that each code finds its member
    /// without a scan. False when a code is another member's (60 random bits: practically never): decide again, with new
    /// codes. The claim of an attempt that does not commit leads to a member without that voucher, which reads as none.</summary>
    private async Task<bool> ClaimVoucherCodesAsync(StoredMember member, Account after, DateTimeOffset now, CancellationToken ct)
    {
        var known = member.Account.Vouchers.Select(v => v.Code).ToHashSet(StringComparer.Ordinal);
        var claimed = await Task.WhenAll(after.Vouchers.Where(v => !known.Contains(v.Code))
            .Select(v => claims.ClaimAsync(new OperationKey(VoucherCodeKind, OperationId.Parse(v.Code)), member.Id, now, ct)));
        return claimed.All(c => c);
    }

    /// <summary>Claims the cards the profile adds, before it is saved: a card another member holds (under the current key
    /// or, during a key rotation, the previous one) refuses the save. The claims written are added to
    /// <paramref name="written"/>, so that an attempt that does not commit gives them up again.</summary>
    private async Task<Refusal?> ClaimCardsAsync(MemberId id, StoredMember? current, MemberProfile profile, HashSet<string> written, DateTimeOffset now, CancellationToken ct)
    {
        for (var i = 0; i < profile.Cards.Count; i++)
        {
            var keys = indexes.CardClaims(profile.Cards[i]).ToList();
            var hint = MemberIndexes.CardHint(keys[0]);
            if (current?.PersonalHints.Contains(hint) == true)
            {
                continue;
            }

            foreach (var previous in keys.Skip(1))
            {
                if (await claims.HolderAsync(previous, ct) is { } other && other != id)
                {
                    return new CardTaken(i);
                }
            }

            if (!await claims.ClaimAsync(keys[0], id, now, ct))
            {
                return new CardTaken(i);
            }

            written.Add(hint);
        }

        return null;
    }
}
