using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Tests.Domain;

/// <summary>Runs domain operations on one member with plain values, as the storage adapter would (the related record
/// given to the decision, the records kept, the entries appended, replays answered from the first result), so that the
/// domain is tested without Azurite.</summary>
internal sealed class MemoryLedger(ProgramDefinition program, DateTimeOffset now, TimeZoneInfo? zone = null)
{
    private readonly Dictionary<OperationKey, (string Fingerprint, object? Result, object? Record, IReadOnlyList<long> Entries)> operations = [];
    private readonly List<LedgerEntry> ledger = [];

    public static readonly MemberId Id = MemberId.Parse("m1");

    public ProgramDefinition Program { get; set; } = program;

    public DateTimeOffset Now { get; set; } = now;

    public Account Account { get; set; } = new() { EnrolledAt = now };

    public MemberProfile Profile { get; set; } = new() { TimeZone = (zone ?? TimeZoneInfo.Utc).Id };

    public IReadOnlyList<LedgerEntry> Ledger => ledger;

    /// <summary>The next voucher code; later ones differ from it, as random codes do.</summary>
    public string Code
    {
        get => code;
        set => (code, issued) = (value, 0);
    }

    private string code = "ABCD-EFGH-JKMN";
    private int issued;

    /// <summary>Decides the operation and, unless refused, commits it; a replay returns the first outcome's result.</summary>
    public Outcome<T> Run<T>(MemberOperation<T> operation)
    {
        if (operations.TryGetValue(operation.Key, out var done))
        {
            Assert.Equal(done.Fingerprint, operation.Fingerprint);
            return Outcome<T>.Commit(new Posting(Account, Now), (T)done.Result!);
        }

        var related = operation.RelatedKey is { } key ? operations[key].Record : null;
        var outcome = operation.Decide(new Member(Id, Profile, Account), related, new OperationContext(Program, Now, NextCode));
        if (outcome.Posting is { } posting)
        {
            Account = posting.Account;
            ledger.AddRange(posting.Entries);
            operations[operation.Key] = (operation.Fingerprint, outcome.Result, outcome.Record, [.. posting.Entries.Select(e => e.Seq)]);
            if (outcome.RelatedRecord is { } record)
            {
                var relatedKey = operation.RelatedKey!.Value;
                operations[relatedKey] = operations[relatedKey] with { Record = record };
            }
        }

        return outcome;
    }

    public Outcome<PurchaseResult> Buy(decimal amount, DateTimeOffset? at = null, string? id = null, string? store = null, params PurchaseLine[] lines) =>
        Run(new RecordPurchase(new Purchase(
            OperationId.Parse(id ?? $"p{operations.Count + 1}"), Id, new Money(amount, Currency.Parse("USD")), at ?? Now.AddHours(-1), store, lines)));

    public Outcome<ReturnResult> Return(string purchaseId, decimal amount, string? id = null) =>
        Run(new RecordReturn(OperationId.Parse(id ?? $"r{operations.Count + 1}"), OperationId.Parse(purchaseId), Id, amount, Now));

    public Outcome<RedemptionResult> Redeem(Reward reward, string? id = null) =>
        Run(new Redeem(OperationId.Parse(id ?? $"c{operations.Count + 1}"), Id, reward));

    public Outcome<CancellationResult> Cancel(string redemptionId) => Run(new CancelRedemption(OperationId.Parse(redemptionId), Id));

    public Outcome<AdjustmentResult> Adjust(long points, string? id = null) =>
        Run(new AdjustPoints(OperationId.Parse(id ?? $"a{operations.Count + 1}"), Id, new Points(points), "customer service"));

    public Outcome<HoldResult> Hold(string holdId, long points, int minutes = PlaceHold.DefaultMinutes) =>
        Run(new PlaceHold(OperationId.Parse(holdId), Id, new Points(points), null, minutes));

    public Outcome<HoldResult> Capture(string holdId, long? points = null, string order = "order-1") =>
        Run(new CaptureHold(OperationId.Parse(holdId), Id, OperationId.Parse(order), points is { } p ? new Points(p) : null));

    public Outcome<HoldResult> Release(string holdId) => Run(new ReleaseHold(OperationId.Parse(holdId), Id));

    public Outcome<VoucherUseResult> Use(string code, string useId, string order = "order-1") =>
        Run(new UseVoucher(OperationId.Parse(useId), Id, code, OperationId.Parse(order), null));

    private string NextCode() => issued++ == 0 ? code : $"{code}-{issued}";

    /// <summary>Every invariant the domain states holds for this member.</summary>
    public void AssertInvariants()
    {
        Assert.Empty(Invariants.Check(Program.Points, Account, ledger, operations.Select(o => (o.Key.ToString(), o.Value.Entries))));
        Assert.Empty(Invariants.Check(Program.Points, Account, ledger, operations.Select(o => (o.Key.ToString(), o.Value.Entries)), Now));
    }
}
