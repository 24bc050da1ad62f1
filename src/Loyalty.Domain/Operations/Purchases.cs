using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Operations;

/// <summary>A validated purchase, as the storefront or order system reported it. Its lines add up to at most its
/// amount (<see cref="PurchaseLine"/>): the request layer refuses anything else.</summary>
public sealed record Purchase(
    OperationId PurchaseId,
    MemberId MemberId,
    Money Amount,
    DateTimeOffset OccurredAt,
    string? StoreId,
    IReadOnlyList<PurchaseLine> Lines);

public sealed record PurchaseLine(string Sku, string? Category, decimal Quantity, decimal Amount);

/// <summary>What recording a purchase gives back, the first time and on every replay.</summary>
/// <param name="PointsEarned">Earned and bonus points together; the ledger has one entry each.</param>
/// <param name="Balance">The balance right after this purchase.</param>
/// <param name="Tier">The member's tier after this purchase.</param>
/// <param name="Vouchers">Rewards a spend-threshold rule gave for this purchase.</param>
/// <param name="PointsPending">Of the points earned, those that are pending until <paramref name="AvailableAt"/> (the
/// program's return window, <c>points.pendingDays</c>).</param>
public sealed record PurchaseResult(
    string PurchaseId, string MemberId, long PointsEarned, long Balance, string? Tier, IReadOnlyList<VoucherResult> Vouchers, long PointsPending = 0, DateTimeOffset? AvailableAt = null);

public sealed record VoucherResult(string RewardId, string Code, string Rule);

/// <summary>What returns need to know about a recorded purchase, and what the returns so far have taken back.</summary>
/// <param name="BaseEarned">Points of the earn entry.</param>
/// <param name="ReversibleBonus">Bonus points a return takes back in proportion (promotions, big order).</param>
/// <param name="Spend">The purchase's base value (amount × pointsPerUnit) counted in its month.</param>
/// <param name="FirstPurchase">Whether it was the member's first: it then earns their referrer the referral bonus.</param>
public sealed record PurchaseRecord(
    decimal Amount,
    string Currency,
    DateTimeOffset OccurredAt,
    long BaseEarned,
    long ReversibleBonus,
    decimal Spend,
    bool FirstPurchase = false,
    decimal ReturnedAmount = 0,
    long ReversedPoints = 0)
{
    public decimal Returnable => Amount - ReturnedAmount;
}

/// <summary>Records a purchase: the earn rate times the tier multiplier, then each bonus as its own entry naming its
/// rule, then what spend thresholds grant, then a tier upgrade if the purchase qualifies for one. Idempotent by the
/// purchase id, which is unique in the program.</summary>
public sealed record RecordPurchase(Purchase Purchase)
    : MemberOperation<PurchaseResult>(Purchase.MemberId, new OperationKey(OperationKinds.Purchase, Purchase.PurchaseId))
{
    public const string FirstPurchaseRule = "first-purchase";
    public const string BigOrderRule = "big-order";

    public override string Fingerprint => Operations.Fingerprint.Of(
        Key.Kind,
        Purchase.PurchaseId.Value,
        Purchase.MemberId.Value,
        Purchase.Amount.Amount,
        Purchase.Amount.Currency.Code,
        Purchase.OccurredAt,
        Purchase.StoreId,
        Purchase.Lines.Select(l => new object?[] { l.Sku, l.Category, l.Quantity, l.Amount }));

    public override bool ClaimsId => true;

    protected override Thanks? ThanksFor(PurchaseResult result) => new(Purchase.PurchaseId.Value, result.PointsEarned, Purchase.OccurredAt);

    public override Outcome<PurchaseResult> Decide(Member member, object? related, OperationContext context)
    {
        var program = context.Program;
        var purchase = Purchase;
        var account = member.Account;
        var amount = purchase.Amount.Amount;
        var rate = program.Currencies[purchase.Amount.Currency.Code].PointsPerUnit;
        var earning = Earning.Of(program, purchase.Amount, [.. purchase.Lines.Select(l => (l.Sku, l.Category, l.Quantity, l.Amount))]);
        var spend = earning.Spend;
        var multiplier = (program.Tiers.Find(account.Tier) ?? program.Tiers.Base)?.Multiplier ?? 1;
        var expires = program.Points.ExpiryFor(purchase.OccurredAt);
        var reference = purchase.PurchaseId.Value;
        var posting = new Posting(account, context.Now);
        var earnedTotal = Points.Zero;
        void Credit(LedgerKind kind, Points points, string? rule)
        {
            posting.Credit(kind, points, expires, purchase.OccurredAt, reference, rule);
            earnedTotal += points;
        }

        var earned = Points.Floor(earning.RateBase * multiplier) + new Points(earning.FixedPoints);
        Credit(LedgerKind.Earn, earned, null);

        var first = account.PurchaseCount == 0;
        if (first && program.Bonuses.FirstPurchase is { } firstBonus)
        {
            Credit(LedgerKind.Bonus, new Points(firstBonus.Points), FirstPurchaseRule);
        }

        var reversible = Points.Zero;
        if (program.Bonuses.BigOrder is { } big && big.Thresholds.TryGetValue(purchase.Amount.Currency.Code, out var threshold) && earning.EarningAmount >= threshold)
        {
            Credit(LedgerKind.Bonus, new Points(big.Points), BigOrderRule);
            reversible += new Points(big.Points);
        }

        var localDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(purchase.OccurredAt, member.Profile.Zone).DateTime);
        foreach (var promotion in program.Bonuses.Promotions.Where(p => p.From <= localDay && localDay <= p.To && AppliesToStore(p, purchase)))
        {
            var matching = MatchingAmount(promotion, purchase, earning.EarningAmount, program.Earning);
            var extra = promotion.Multiplier is { } m ? Points.Floor(matching * rate * (m - 1)) : new Points(matching > 0 ? promotion.Points!.Value : 0);
            if (extra > Points.Zero)
            {
                Credit(LedgerKind.Bonus, extra, promotion.Id);
                reversible += extra;
            }
        }

        var today = context.Today;
        posting.Update(a => a.WithActivity(purchase.OccurredAt, spend, earnedTotal.Value, today) with
        {
            Lifetime = a.Lifetime + earnedTotal,
            PurchaseCount = checked(a.PurchaseCount + 1),
            LastPurchaseAt = a.LastPurchaseAt is { } last && last > purchase.OccurredAt ? last : purchase.OccurredAt,
        });

        var vouchers = SpendThresholds.Grant(program, posting, purchase, expires, context);
        Tiering.UpgradeIfQualified(program.Tiers, posting, today, purchase.OccurredAt, reference);

        // A purchase recorded after its points' expiry day (back-filled history) gives points that have expired: they
        // are credited and expire at once, so that they can never be spent.
        if (expires is { } day && day < today)
        {
            ExpirePoints.Post(posting, day, int.MaxValue, reference);
        }

        var pending = Pend(program, posting, member, context.Now);
        var after = posting.Account;
        var result = new PurchaseResult(
            reference, purchase.MemberId.Value, (earnedTotal + vouchers.Points).Value, after.Balance.Value, program.Tiers.Shown(after.Tier), vouchers.Vouchers,
            pending?.Points.Value ?? 0, pending?.AvailableAt);
        var record = new PurchaseRecord(amount, purchase.Amount.Currency.Code, purchase.OccurredAt, earned.Value, reversible.Value, spend, first);
        return Outcome<PurchaseResult>.Commit(posting, result, record, events: [Bonuses.Earned(posting, reference, purchase, earned)]);
    }

    /// <summary>Inside the program's return window the points this purchase added to the balance are pending: a return
    /// within the window takes them first, and nothing pending can be redeemed or held.</summary>
    private PendingPoints? Pend(ProgramDefinition program, Posting posting, Member member, DateTimeOffset now)
    {
        var added = posting.Account.Balance - member.Account.Balance;
        if (program.Points.MaturityFor(Purchase.OccurredAt, member.Profile.Zone) is not { } at || at <= now || added <= Points.Zero)
        {
            return null;
        }

        var pending = new PendingPoints(Purchase.PurchaseId.Value, added, at);
        posting.Update(a => a.WithPending(pending, now));
        return pending;
    }

    private static bool AppliesToStore(Promotion p, Purchase purchase) =>
        p.Stores is not { Count: > 0 } stores || (purchase.StoreId is { } store && stores.Contains(store));

    // With a category filter only the matching lines count; a purchase without lines has nothing to match. Lines never
    // add up to more than the purchase, and the bonus never counts more than it either. Lines excluded from earning
    // match nothing.
    private static decimal MatchingAmount(Promotion p, Purchase purchase, decimal earningAmount, EarningRules earning) => Math.Min(
        earningAmount,
        p.Categories is not { Count: > 0 } categories
            ? earningAmount
            : purchase.Lines.Where(l => l.Category is { } c && categories.Contains(c) && !earning.Excludes(l.Sku, c)).Sum(l => l.Amount));
}

/// <summary>"Spend X within Y months, get a reward", once per window; and taking it back when a return leaves the
/// window short of X.</summary>
public static class SpendThresholds
{
    /// <summary>Grants every threshold the member's window spend reaches now and that has not granted within its window.</summary>
    public static (Points Points, IReadOnlyList<VoucherResult> Vouchers) Grant(
        ProgramDefinition program, Posting posting, Purchase purchase, DateOnly? expires, OperationContext context)
    {
        var today = context.Today;
        var reference = purchase.PurchaseId.Value;
        var total = Points.Zero;
        var vouchers = new List<VoucherResult>();
        foreach (var rule in program.Bonuses.SpendThresholds)
        {
            var (windowSpend, _) = posting.Account.Window(today, rule.WithinMonths);
            if (windowSpend < rule.Spend || posting.Account.ActiveGrant(rule.Id, today, rule.WithinMonths) is not null)
            {
                continue;
            }

            if (rule.Points is { } points)
            {
                Bonuses.Credit(posting, new Points(points), expires, purchase.OccurredAt, reference, rule.Id);
                total += new Points(points);
            }

            string? code = null;
            if (rule.RewardId is { } reward)
            {
                code = context.NewVoucherCode();
                posting.Event(LedgerKind.Bonus, purchase.OccurredAt, reference, $"{rule.Id}: {reward} voucher {code}");
                var voucher = Voucher.Issue(code, program.Rewards.First(r => r.Id == reward), rule.Id, context.Now);
                posting.Update(a => a with { Vouchers = a.Vouchers.Add(voucher) });
                vouchers.Add(new VoucherResult(reward, code, rule.Id));
            }

            var grant = new Grant(rule.Id, today, rule.Points ?? 0, code, purchase.OccurredAt);
            posting.Update(a => a.WithGrant(grant, today));
        }

        return (total, vouchers);
    }

    /// <summary>After a return of a purchase of <paramref name="month"/>, voids every active grant whose window held that
    /// month and whose window spend no longer reaches its rule: its points are taken back, its voucher voided (a used
    /// voucher's reward cost is taken back instead), and the rule may grant again. Returns the voided voucher codes.</summary>
    public static IReadOnlyList<string> VoidShortfalls(ProgramDefinition program, Posting posting, MonthKey month, DateTimeOffset occurredAt, string reference)
    {
        var voided = new List<string>();
        foreach (var grant in posting.Account.Grants.Where(g => !g.Void).ToList())
        {
            if (program.Bonuses.SpendThresholds.FirstOrDefault(r => r.Id == grant.Rule) is not { } rule)
            {
                continue;
            }

            var end = MonthKey.Of(grant.Day);
            if (month > end || month < end.Minus(rule.WithinMonths - 1) || posting.Account.Window(grant.Day, rule.WithinMonths).Spend >= rule.Spend)
            {
                continue;
            }

            var takeBack = new Points(grant.Points);
            if (grant.VoucherCode is { } code && posting.Account.Vouchers.FirstOrDefault(v => v.Code == code) is { } voucher)
            {
                if (voucher.Status == VoucherStatus.Used)
                {
                    takeBack += new Points(program.Rewards.FirstOrDefault(r => r.Id == voucher.RewardId)?.PointsCost ?? 0);
                }
                else if (voucher.Status == VoucherStatus.Active)
                {
                    posting.Update(a => a with { Vouchers = a.Vouchers.Replace(voucher, voucher with { Status = VoucherStatus.Void }) });
                    voided.Add(code);
                }
            }

            if (takeBack > Points.Zero)
            {
                posting.TakeBack(takeBack, program.Points.AllowNegativeBalance, occurredAt, reference, $"{rule.Id} void");
            }

            var today = DateOnly.FromDateTime(posting.RecordedAt.UtcDateTime);
            posting.Update(a => a.WithActivity(grant.CountedAt, 0, -grant.Points, today) with { Lifetime = a.Lifetime - new Points(grant.Points) });

            posting.Update(a => a with { Grants = a.Grants.Replace(grant, grant with { Void = true }) });
        }

        return voided;
    }
}

/// <summary>Points beyond the earn rate, credited as a <c>bonus</c> entry that names its rule.</summary>
public static class Bonuses
{
    /// <summary>The one way a bonus is credited: a <c>bonus</c> entry, counted in lifetime points and in the points of
    /// the month it occurred in (for tiers that qualify by points).</summary>
    public static void Credit(Posting posting, Points points, DateOnly? expiresOn, DateTimeOffset occurredAt, string reference, string rule)
    {
        posting.Credit(LedgerKind.Bonus, points, expiresOn, occurredAt, reference, rule);
        var today = DateOnly.FromDateTime(posting.RecordedAt.UtcDateTime);
        posting.Update(a => a.WithActivity(occurredAt, 0, points.Value, today) with { Lifetime = a.Lifetime + points });
    }

    /// <summary>The <c>loyalty.points.earned</c> event of a posting that credited points: the base points and each bonus
    /// entry with the rule it names, in ledger order.</summary>
    public static DomainEvent Earned(Posting posting, string reference, Purchase? purchase, Points basePoints)
    {
        var bonuses = posting.Entries.Where(e => e.Kind == LedgerKind.Bonus && e.Points > Points.Zero).Select(e => new BonusPoints(e.Note ?? "", e.Points.Value)).ToList();
        var credited = bonuses.Sum(b => b.Points) + basePoints.Value;
        return new DomainEvent(EventCatalog.PointsEarned, new PointsEarned(
            reference,
            purchase?.PurchaseId.Value,
            purchase?.Amount.Amount,
            purchase?.Amount.Currency.Code,
            purchase?.OccurredAt ?? posting.RecordedAt,
            basePoints.Value,
            bonuses,
            credited,
            posting.OwedPaid.Value,
            posting.Account.Balance.Value));
    }
}

/// <summary>A bonus credited outside a purchase: the referral bonus (once per referred member, to the referrer) and
/// the birthday bonus (once a year). Idempotent by its key.</summary>
/// <param name="Rule">The rule the ledger entry names (<c>referral</c>, <c>birthday</c>).</param>
/// <param name="Reference">What the ledger entry refers to (the referred member, <c>birthday-2027</c>).</param>
public sealed record CreditBonus(MemberId Member, OperationKey BonusKey, string Rule, long Points, string Reference)
    : MemberOperation<long>(Member, BonusKey)
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, Key.Id.Value, Rule, Points);

    public override Outcome<long> Decide(Member member, object? related, OperationContext context)
    {
        var posting = new Posting(member.Account, context.Now);
        Bonuses.Credit(posting, new Points(Points), context.Program.Points.ExpiryFor(context.Now), context.Now, Reference, Rule);
        return Outcome<long>.Commit(posting, Points, events: [Bonuses.Earned(posting, Reference, null, Domain.Points.Zero)]);
    }
}
