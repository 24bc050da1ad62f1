using Azure;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Cli.Import;

public enum ImportOutcome
{
    /// <summary>Imported by this run (or completed, after a run that stopped part-way).</summary>
    Imported,

    /// <summary>Imported by an earlier run with the same content: nothing was written.</summary>
    AlreadyThere,

    /// <summary>Not imported; the rejection says why.</summary>
    Rejected,
}

/// <summary>What became of one member: the rejection names the row at fault. <paramref name="Incomplete"/>: storage
/// refused a write after the member's first writes (a purchase id taken meanwhile), so the member exists without their
/// imported account until the import runs again.</summary>
internal sealed record MemberResult(ImportOutcome Outcome, Rejection? Rejection = null, bool Incomplete = false)
{
    public static readonly MemberResult Imported = new(ImportOutcome.Imported);

    public static readonly MemberResult AlreadyThere = new(ImportOutcome.AlreadyThere);

    public static MemberResult Rejected(Rejection rejection, bool incomplete = false) => new(ImportOutcome.Rejected, rejection, incomplete);
}

/// <summary>Imports members through the API's own operations. A member without purchases is enrolled with their account
/// (<see cref="ImportAccount"/>) in one transaction (<see cref="MemberStore.EnrolAllAsync{T}"/>), a chunk of members at a
/// time so that the hints they share are written together: such a member is there whole or not at all. A member with
/// purchases, or one that is there already, goes member by member, in the order that lets a run stop anywhere and a
/// re-run complete it: the profile (as <c>PUT /api/members/{id}</c> creates it), the historical purchases
/// (<see cref="RecordPurchase"/>, each idempotent by its id), then the account, whose operation row marks the member
/// complete. A member that is there already is looked at once more: complete with the same content (nothing to do),
/// complete with other content, enrolled by someone else, or part-way imported by a run that stopped (finished now).
/// Imported purchases never start a win-back dormancy (see <see cref="ForgetDormancyAsync"/>).</summary>
internal sealed class Importer(MemberStore store, MemberIndexes indexes, Claims claims)
{
    /// <summary>Members enrolled together: their hints are written in one batch per partition.</summary>
    public const int Chunk = 100;

    /// <summary>Imports <paramref name="members"/> (at most <paramref name="parallel"/> writes at once, one writer per
    /// member), telling <paramref name="done"/> of each member's result as it is known.</summary>
    public async Task ImportAsync(IReadOnlyList<MemberImport> members, int parallel, Action<MemberResult> done, CancellationToken ct)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct };
        var simple = members.Where(m => m.Purchases.Count == 0).ToList();
        var enrolled = await store.EnrolAllAsync([.. simple.Select(m => new Enrolment<ImportResult>(m.Profile, Consent(), Account(m, [])))], parallel, ct);
        var rest = new List<MemberImport>(members.Where(m => m.Purchases.Count > 0));
        for (var i = 0; i < simple.Count; i++)
        {
            if (enrolled[i] is { } result)
            {
                done(Settled(simple[i], result, incomplete: false));
            }
            else
            {
                rest.Add(simple[i]);
            }
        }

        await Parallel.ForEachAsync(rest, options, async (member, token) => done(await DoneBeforeAsync(member, token) ?? await ImportAsync(member, token)));
    }

    /// <summary>A member without purchases who is there already (a re-run): done when their account operation is there (one
    /// read), else null for the member-by-member way.</summary>
    private async Task<MemberResult?> DoneBeforeAsync(MemberImport member, CancellationToken ct)
    {
        if (member.Purchases.Count > 0)
        {
            return null;
        }

        var account = Account(member, []);
        return await store.GetOperationAsync(member.Id, account.Key, ct) is { } done
            ? done.RequestHash == account.Fingerprint ? MemberResult.AlreadyThere : MemberResult.Rejected(ImportedBefore(member))
            : null;
    }

    private async Task<MemberResult> ImportAsync(MemberImport member, CancellationToken ct)
    {
        var id = member.Id;
        var purchases = member.Purchases.OrderBy(p => p.Purchase.OccurredAt).ThenBy(p => p.Line).ToList();
        var account = Account(member, purchases);

        // A purchase id that another member holds would stop the import after the member's first writes: look first.
        foreach (var p in purchases)
        {
            if (await claims.HolderAsync(new RecordPurchase(p.Purchase).Key, ct) is { } holder && holder != id)
            {
                return MemberResult.Rejected(new Rejection(p.Line, true, "purchaseId", "Is recorded for another member already: purchase ids are unique in the program."));
            }
        }

        var save = await store.SaveProfileAsync(id, current => current is null ? ProfileDecision.Store(member.Profile) : new Enrolled(), Consent(), ct);
        if (!save.Created && await ExistingAsync(member, account, save.Member, purchases, ct) is { } settled)
        {
            return settled;
        }

        foreach (var p in purchases)
        {
            var recorded = await store.RunAsync(new RecordPurchase(p.Purchase), ct);
            var fault = recorded.Status switch
            {
                OperationStatus.Created or OperationStatus.Replayed => null,
                OperationStatus.Conflict => "Is used for another purchase or another member (purchase ids are unique in the program).",
                _ => recorded.Refusal?.Detail ?? $"Not recorded ({recorded.Status}).",
            };
            if (fault is not null)
            {
                return MemberResult.Rejected(new Rejection(p.Line, true, "purchaseId", fault), incomplete: true);
            }
        }

        await ForgetDormancyAsync(id, purchases, ct);
        return Settled(member, await store.RunAsync(account, ct), incomplete: true);
    }

    /// <summary>What the account's operation gave; <paramref name="incomplete"/>: the member's profile or purchases are
    /// written, so a refusal leaves them part-way.</summary>
    private static MemberResult Settled(MemberImport member, OperationResult<ImportResult> result, bool incomplete) => result.Status switch
    {
        OperationStatus.Created => MemberResult.Imported,
        OperationStatus.Replayed => MemberResult.AlreadyThere,
        OperationStatus.Conflict => MemberResult.Rejected(ImportedBefore(member)),
        _ when result.Refusal is UnknownTier tier => MemberResult.Rejected(new Rejection(member.Line, false, "tier", tier.Detail)),
        _ => MemberResult.Rejected(new Rejection(member.Line, false, "memberId", result.Refusal?.Detail ?? $"Not imported ({result.Status})."), incomplete),
    };

    private static ImportAccount Account(MemberImport member, List<PurchaseImport> purchases) =>
        new(member.Id, member.Lots, member.Undated, member.Tier, member.EnrolledAt, purchases.Count, Source(member, purchases));

    // Consent given in the system imported from stands as granted (no second opt-in), recorded as coming from the import.
    private static ConsentSource Consent() => new("import", "import-" + Guid.NewGuid().ToString("N"), "import");

    // The same profile but for the consent's date, which is the first import's, and when the phone was given.
    private static bool SameProfile(MemberProfile stored, MemberProfile imported) =>
        stored with { Sms = stored.Sms with { Since = imported.Sms.Since }, PhoneSince = imported.PhoneSince } == imported;

    /// <summary>The member was there before this run: done (same content), refused, or null to go on and complete them.</summary>
    private async Task<MemberResult?> ExistingAsync(MemberImport member, ImportAccount account, StoredMember? stored, List<PurchaseImport> purchases, CancellationToken ct)
    {
        if (await store.GetOperationAsync(member.Id, account.Key, ct) is { } done)
        {
            return done.RequestHash == account.Fingerprint ? MemberResult.AlreadyThere : MemberResult.Rejected(ImportedBefore(member));
        }

        if (stored is null or { IsErased: true })
        {
            return MemberResult.Rejected(new Rejection(member.Line, false, "memberId", "The member's personal data was erased: an erased member is not imported again."));
        }

        if (!SameProfile(stored.Profile, member.Profile))
        {
            return MemberResult.Rejected(new Rejection(member.Line, false, "memberId", "Is enrolled already, with another profile: an import does not change members it did not create."));
        }

        // The same profile: a run that stopped part-way, unless the account holds anything but this file's purchases.
        var expected = purchases.ToDictionary(p => p.Purchase.PurchaseId);
        var partition = await store.ReadPartitionAsync(member.Id, ct);
        foreach (var op in partition?.Operations.Select(o => o.Operation) ?? [])
        {
            if (op.Key.Kind != OperationKinds.Purchase || !expected.TryGetValue(op.Key.Id, out var p))
            {
                return MemberResult.Rejected(new Rejection(member.Line, false, "memberId", "Is enrolled already and has points or history this import did not write: an import does not write over an account in use."));
            }

            if (op.RequestHash != new RecordPurchase(p.Purchase).Fingerprint)
            {
                return MemberResult.Rejected(new Rejection(p.Line, true, "purchaseId", "Was imported before with other content."));
            }
        }

        return null;
    }

    /// <summary>Win-back counts dormancy from purchases made here. The old system may have messaged a dormancy that began
    /// there already, so the last-purchase hints of imported purchases are removed: no win-back plan finds the member
    /// until they buy again, which writes a hint of its own.</summary>
    private Task ForgetDormancyAsync(MemberId id, IEnumerable<PurchaseImport> purchases, CancellationToken ct) =>
        Task.WhenAll(purchases
            .Select(p => DateOnly.FromDateTime(p.Purchase.OccurredAt.UtcDateTime))
            .Distinct()
            .Select(day => indexes.RemoveAsync(new Hint(Tables.LastPurchase, MemberIndexes.DayKey(day), id, ETag.All), ct)));

    private static Rejection ImportedBefore(MemberImport member) =>
        new(member.Line, false, "memberId", "Was imported before with other content: an import does not change a member it imported; change them through the API.");

    // Everything of the member's row and purchases that the account's own fields do not hold.
    private static string Source(MemberImport member, IEnumerable<PurchaseImport> purchases)
    {
        var p = member.Profile;
        return Fingerprint.Of(
            p.FirstName, p.Phone, p.Birthday?.ToString(), p.Locale, p.TimeZone, p.SmsOptIn ? "opt-in" : "no",
            purchases.Select(x => new RecordPurchase(x.Purchase).Fingerprint).Order(StringComparer.Ordinal));
    }

    /// <summary>Why a profile save stopped: the member is there already.</summary>
    private sealed record Enrolled() : Refusal("member-exists")
    {
        public override string Detail => "The member is enrolled already.";
    }
}
