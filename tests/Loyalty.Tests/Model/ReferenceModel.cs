using System.Globalization;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>The ledger specification (/work/spec-ledger.md, "Ledger rules after the integrity issue") as a small
/// program with no I/O: it applies each command to its own state and says what the service must answer. Written from
/// the specification and the HTTP API only, never from the domain code, so that it checks the code rather than
/// restating it.</summary>
public sealed class ReferenceModel(ModelProgram program, ModelSpec spec, DateTimeOffset start)
{
    private const string Validation = "/problems/validation";
    private const string MemberNotFound = "/problems/member-not-found";
    private const string IdempotencyConflict = "/problems/idempotency-conflict";
    private const string MemberErased = "/problems/member-erased";
    private const string InsufficientPoints = "/problems/insufficient-points";
    private const string HoldNotActive = "/problems/hold-not-active";

    /// <summary>Kinds whose ids the caller chooses and the program claims for the first member whose request with them
    /// goes ahead (README, Ids): another member's request with a claimed id is 409 before anything else, and a refused
    /// request claims nothing.</summary>
    private static readonly HashSet<string> ClaimKinds = [Kinds.Purchase, Kinds.Return, Kinds.Redeem, Kinds.Adjust, Kinds.Hold, Kinds.VoucherUse];

    private readonly Dictionary<string, ModelMember> members = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Kind, string Id), OperationRecord> operations = [];
    private readonly Dictionary<string, PurchaseRecord> purchases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RedemptionRecord> redemptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> taken = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Kind, string Id), string> claims = [];
    private readonly Dictionary<string, string> imported = new(StringComparer.Ordinal);
    private HashSet<string> texts = new(StringComparer.Ordinal);

    public ModelProgram Program { get; } = program;

    public ModelSpec Spec { get; } = spec;

    public DateTimeOffset Now { get; private set; } = start;

    public DateOnly Today => DateOnly.FromDateTime(Now.UtcDateTime);

    public IEnumerable<ModelMember> Members => members.Values;

    public IEnumerable<PurchaseRecord> Purchases => purchases.Values;

    public IEnumerable<RedemptionRecord> Redemptions => redemptions.Values;

    public HashSet<DateOnly> ExpireRuns { get; } = [];

    public HashSet<DateOnly> ReviewRuns { get; } = [];

    public ModelMember? Member(string id) => members.GetValueOrDefault(id);

    public int Taken(string rewardId) => taken.GetValueOrDefault(rewardId);

    public string TierId(ModelMember m) => Program.Tiers[m.Tier].Id;

    public void Advance(TimeSpan by) => Now += by;

    /// <summary>Applies a request to the model and returns the answer the service must give.</summary>
    public Expected Apply(Request request) => request switch
    {
        Enrol e => Enrol(e),
        RecordPurchase p => Purchase(p),
        RecordReturn r => Return(r),
        Redeem r => Redeem(r),
        Cancel c => Cancel(c),
        Adjust a => Adjust(a),
        Erase e => Erase(e),
        PlaceHold h => Hold(h),
        CaptureHold c => Capture(c),
        ReleaseHold r => Release(r),
        UseVoucher u => Use(u),
        SmsText t => Text(t),
        RunJob { Name: RunJob.ExpirePoints } => ExpirePoints(),
        RunJob { Name: RunJob.ReviewTiers } => ReviewTiers(),
        _ => throw new ArgumentException($"The model does not know {request}.", nameof(request)),
    };

    /// <summary>What the service answered that the model cannot know (voucher codes are random): the grants learn
    /// their voucher codes from the purchase's first answer.</summary>
    public void Observe(RecordPurchase purchase, JsonNode answer)
    {
        var member = members[purchase.MemberId];
        foreach (var voucher in answer["vouchers"]?.AsArray() ?? [])
        {
            var rule = voucher!["rule"]?.GetValue<string>();
            if (member.Grants.LastOrDefault(g => g.PurchaseId == purchase.PurchaseId && g.Rule == rule) is { VoucherCode: null } grant)
            {
                grant.VoucherCode = voucher["code"]?.GetValue<string>();
                var reward = Program.Reward(Program.Thresholds.Single(t => t.Id == rule).RewardId!);
                member.Vouchers[$"grant|{purchase.PurchaseId}|{rule}"] = new ModelVoucher(member.Id, reward.Id, grant.Day.AddDays(reward.ValidDays)) { Code = grant.VoucherCode };
            }
        }
    }

    /// <summary>The code of a voucher reward's redemption, from its first answer.</summary>
    public void Observe(Redeem redemption, JsonNode answer)
    {
        if (Member(redemption.MemberId)?.Vouchers.GetValueOrDefault(redemption.RedemptionId) is { Code: null } voucher)
        {
            voucher.Code = answer["voucherCode"]?.GetValue<string>();
        }
    }

    /// <summary>Every voucher whose code the answers have told.</summary>
    public IEnumerable<ModelVoucher> KnownVouchers => members.Values.SelectMany(m => m.Vouchers.Values).Where(v => v.Code is not null);

    private Expected Enrol(Enrol e)
    {
        if (members.TryGetValue(e.MemberId, out var m))
        {
            if (m.Erased)
            {
                return Expected.Problem(409, MemberErased);
            }

            if (e.ReferredBy is not null && e.ReferredBy != m.ReferredBy)
            {
                return Expected.Problem(400, Validation);
            }

            SetProfile(m, e);
            RequestConsent(m, e);
            return MemberAnswer(200, m);
        }

        if (e.ReferredBy is { } referrer && (referrer == e.MemberId || Member(referrer) is not { Erased: false }))
        {
            return Expected.Problem(400, Validation);
        }

        m = new ModelMember(e.MemberId, e.TimeZone) { ReferredBy = e.ReferredBy, ReferrerEver = e.ReferredBy, EnrolledAt = Now };
        SetProfile(m, e);
        RequestConsent(m, e);
        members[m.Id] = m;
        return MemberAnswer(201, m);
    }

    /// <summary>(README, Operations) An import: a member the program does not have is enrolled with the old system's
    /// account: the opening lots (and an opening balance, expiring like points earned today) in one <c>adjust</c> entry,
    /// counted in lifetime points but in no month; a tier above the base kept as if reached today; lots whose day has
    /// passed expired at once. The same row again is already there; another row for a member imported before, or any row
    /// for a member enrolled otherwise (or erased), is rejected naming memberId, an unknown tier naming tier.</summary>
    public ImportExpected Import(Import import)
    {
        var outcomes = new List<(int Line, string? Field)>();
        foreach (var (row, line) in import.Rows.Select((r, i) => (r, i + 2)))
        {
            if (row.Tier is { } tier && !Program.Tiers.Any(t => t.Id == tier))
            {
                outcomes.Add((line, "tier"));
            }
            else if (imported.TryGetValue(row.MemberId, out var content))
            {
                outcomes.Add((line, content == row.Line ? null : "memberId"));
            }
            else if (members.ContainsKey(row.MemberId))
            {
                outcomes.Add((line, "memberId"));
            }
            else
            {
                Enrol(row);
                outcomes.Add((line, ""));
            }
        }

        return new ImportExpected(outcomes);
    }

    private void Enrol(ImportRow row)
    {
        var m = new ModelMember(row.MemberId, row.TimeZone)
        {
            FirstName = row.FirstName,
            Phone = row.Phone,
            Birthday = row.Birthday,
            EnrolledAt = row.EnrolledOn is { } on ? new DateTimeOffset(on.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : Now,
        };
        foreach (var personal in new[] { row.FirstName, row.Phone, row.Birthday }.OfType<string>())
        {
            m.PersonalData.Add(personal);
        }

        members[m.Id] = m;
        imported[m.Id] = row.Line;
        var posting = new ModelPosting(m, Program, Spec, Kinds.Import, m.Id);
        // An opening balance beside lots is their sum; alone, its points expire like points earned today.
        List<(DateOnly Day, long Points)> lots = row.Lots.Count > 0 ? [.. row.Lots] : row.Opening is > 0 and var opening ? [(Program.LotDay(Now), opening)] : [];
        if (lots.Count > 0)
        {
            posting.Restore(lots, Kinds.Import, "opening balance", Kinds.Adjust);
            m.Lifetime += lots.Sum(l => l.Points);
        }

        if (row.Tier is { } tier && Program.TierIndex(tier) is var index and > 0)
        {
            m.Tier = index;
            m.TierReviewOn = Today.AddMonths(Program.TierWindowMonths + Program.TierGraceMonths);
            posting.Event(Kinds.Tier, Kinds.Import, tier);
        }

        foreach (var (day, points) in m.Lots.Where(l => l.Key < Today).ToList())
        {
            posting.Expire(day, points);
        }

        posting.Commit();
    }

    private void SetProfile(ModelMember m, Enrol e)
    {
        if (m.Phone != e.Phone)
        {
            m.PhoneSince = e.Phone is null ? null : Now;
        }

        (m.FirstName, m.Phone, m.Birthday, m.TimeZone) = (e.FirstName, e.Phone, e.Birthday, e.TimeZone);
        foreach (var personal in new[] { e.FirstName, e.Phone, e.Birthday }.OfType<string>())
        {
            m.PersonalData.Add(personal);
        }
    }

    private Expected MemberAnswer(int status, ModelMember m) => Expected.Answer(
        status, [F.Is("points.balance", m.Balance), F.Is("tier", TierId(m)), F.Is("referredBy", m.ReferredBy), .. ConsentFigures(m)]);

    /// <summary>The consent a member shows: <c>sms.consent</c> as it reads now, <c>smsOptIn</c> only when granted.</summary>
    public List<Figure> ConsentFigures(ModelMember m) =>
        [F.Is("sms.consent", m.Sms.At(Now)), F.Is("smsOptIn", JsonValue.Create(m.Sms.State == "granted")), F.Is("sms.transactional", JsonValue.Create(m.Sms.Transactional))];

    /// <summary>(README, SMS consent) A PUT asks for marketing SMS (<c>smsOptIn</c>, absent is false) and transactional SMS.
    /// Asking again for what is granted or pending changes nothing; asking otherwise makes it pending until the member's
    /// YES with double opt-in, else granted; no longer asking revokes what is granted or pending. The transactional
    /// consent is what the PUT says. A change is an entry of the consent record (channel api).</summary>
    private void RequestConsent(ModelMember m, Enrol e)
    {
        var before = m.Sms;
        var asked = (e.SmsOptIn == true, before.At(Now)) switch
        {
            (true, "granted" or "pending") => before,
            (true, _) when Program.DoubleOptIn => new ModelConsent("pending", Now, Now + Program.OptInWaits),
            (true, _) => new ModelConsent("granted", Now),
            (false, "granted" or "pending") => new ModelConsent("revoked", Now),
            _ => before,
        };
        var after = asked with { Transactional = e.SmsTransactional == true };
        if (after != before)
        {
            m.Sms = after;
            m.ConsentRecord.Add(new ModelConsentEntry(Now, "api", after.State, null));
        }
    }

    /// <summary>The keywords the generator texts, by what they ask for (README, SMS conversations).</summary>
    public static readonly IReadOnlyDictionary<string, string> Keywords = new[]
    {
        ("stop", "STOP UNSUBSCRIBE 退订 СТОП"),
        ("start", "START 开始 СТАРТ"),
        ("yes", "YES 是 ДА"),
        ("help", "HELP INFO 帮助 ПОМОЩЬ"),
        ("balance", "BAL POINTS 余额 БАЛАНС"),
    }.SelectMany(k => k.Item2.Split(' ').Select(word => (word, k.Item1))).ToDictionary(p => p.word, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Numbers no member had when they first texted, with the messages the product answers (HELP and STOP).</summary>
    public Dictionary<string, List<string>> Strangers { get; } = new(StringComparer.Ordinal);

    /// <summary>Every inbound message id delivered so far.</summary>
    public IReadOnlySet<string> Texts => texts;

    /// <summary>(README, SMS conversations) A keyword texted from a number acts for every member (not erased) with that
    /// number: STOP revokes marketing and transactional consent, START grants both, YES confirms a request still pending
    /// that was made before the YES was received (and does nothing otherwise); each that applies is an entry of the
    /// record (channel sms, at the message's received time), even when it changes nothing. HELP and balance change no
    /// consent; a number no member has changes nothing. A redelivered event (same message id) changes nothing for a member
    /// whose record has it, nor for a member given the number after it was received (the previous holder's text). The
    /// invocation answers 200.</summary>
    private Expected Text(SmsText t)
    {
        var word = t.Message.Trim().Trim('.', '!').ToUpperInvariant();
        var keyword = Keywords.GetValueOrDefault(word);
        if (texts.Add(t.MessageId) && !members.Values.Any(m => !m.Erased && m.Phone == t.From))
        {
            Strangers.TryAdd(t.From, []);
            if (keyword is "help" or "stop")
            {
                Strangers[t.From].Add(t.MessageId);
            }
        }

        foreach (var m in members.Values.Where(m => !m.Erased && m.Phone == t.From && !(m.PhoneSince > t.ReceivedAt) && !m.ConsentRecord.Any(e => e.MessageId == t.MessageId)))
        {
            var before = m.Sms;
            var after = keyword switch
            {
                "stop" => before is { State: "revoked", Transactional: false } ? before : new ModelConsent("revoked", t.ReceivedAt),
                "start" => before is { State: "granted", Transactional: true } ? before : new ModelConsent("granted", t.ReceivedAt, null, true),
                "yes" when before.At(Now) == "pending" && t.ReceivedAt >= before.Since => before with { State = "granted", Since = t.ReceivedAt, PendingUntil = null },
                _ => null,
            };
            if (after is not null)
            {
                m.Sms = after;
                m.ConsentRecord.Add(new ModelConsentEntry(t.ReceivedAt, "sms", after.State, word, t.MessageId));
            }
        }

        return Expected.Answer(200);
    }

    /// <summary>The consent of every member and the messages delivered, to go back to (<see cref="Restore"/>) when a race
    /// is tried in both orders.</summary>
    public object SaveConsents() => (members.Values.ToDictionary(m => m.Id, m => (m.Sms, m.ConsentRecord.ToList())), texts.ToHashSet(StringComparer.Ordinal));

    public void Restore(object saved)
    {
        var (consents, delivered) = ((Dictionary<string, (ModelConsent Sms, List<ModelConsentEntry> Record)>, HashSet<string>))saved;
        foreach (var (id, (sms, record)) in consents)
        {
            members[id].Sms = sms;
            members[id].ConsentRecord.Clear();
            members[id].ConsentRecord.AddRange(record);
        }

        texts = delivered.ToHashSet(StringComparer.Ordinal);
    }

    private Expected Erase(Erase e)
    {
        if (Member(e.MemberId) is not { } m)
        {
            return Expected.Problem(404, MemberNotFound);
        }

        m.Erased = true;
        if (m.Sms.State != "none" || m.Sms.Transactional)
        {
            // (README, Erase) Consent the member had ends with an entry of the record (channel erasure).
            m.ConsentRecord.Add(new ModelConsentEntry(Now, "erasure", "none", null));
        }

        m.Sms = ModelConsent.None;
        (m.FirstName, m.Phone, m.Birthday, m.TimeZone, m.ReferredBy) = (null, null, null, "UTC", null);
        return Expected.Answer(204);
    }

    /// <summary>The checks every member operation shares: the member exists; an id used before answers its first
    /// result again (same content) or 409 (different content); an erased member refuses anything new; the rules'
    /// refusals (<paramref name="refusals"/>) of the member as it is. The specification does not order refusals, so
    /// when several apply (an id reused for a reward the member cannot afford) any of them may answer: each writes
    /// nothing. Null when the operation goes ahead.</summary>
    /// <param name="rulesFirst">The rules are decided before the claim is looked at (a limited reward's redemption, whose
    /// stock is reserved first): a refusal answers even when another member holds the id.</param>
    private Expected? Precheck(
        string memberId, string kind, string id, string content, out ModelMember member, Func<ModelMember, IEnumerable<Refusal>>? refusals = null, bool rulesFirst = false)
    {
        member = Member(memberId)!;
        if (member is null)
        {
            return Expected.Problem(404, MemberNotFound);
        }

        var claimed = Spec.Has(ModelSpec.ProgramWideIds) && ClaimKinds.Contains(kind);
        var heldByOther = claimed && claims.TryGetValue((kind, id), out var holder) && holder != memberId;
        if (heldByOther && !rulesFirst)
        {
            return Expected.Problem(409, IdempotencyConflict);
        }

        var applying = new List<Refusal>();
        if (operations.TryGetValue((kind, id), out var used))
        {
            if (used.Member == memberId && used.Content == content)
            {
                return used.Answer.AsReplay();
            }

            applying.Add(new Refusal(409, IdempotencyConflict, []));
        }

        if (member.Erased)
        {
            applying.Add(new Refusal(409, MemberErased, []));
        }

        applying.AddRange(refusals?.Invoke(member) ?? []);
        if (applying.Count > 0)
        {
            return Expected.Refused([.. applying]);
        }

        if (heldByOther)
        {
            return Expected.Problem(409, IdempotencyConflict);
        }

        if (claimed)
        {
            claims[(kind, id)] = memberId;
        }

        return null;
    }

    private Expected Record(string kind, string id, string memberId, string content, Expected answer)
    {
        operations[(kind, id)] = new OperationRecord(memberId, content, answer);
        return answer;
    }

    private Expected Purchase(RecordPurchase p)
    {
        if (Spec.Has(ModelSpec.Lines) && p.Lines.Sum(l => l.Amount) > p.Amount)
        {
            return Expected.Problem(400, Validation);
        }

        var content = Content(p.MemberId, Number(p.Amount), p.Currency, p.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture), p.StoreId,
            string.Join(';', p.Lines.Select(l => Content(l.Sku, l.Category, Number(l.Quantity), Number(l.Amount)))));
        if (Precheck(p.MemberId, Kinds.Purchase, p.PurchaseId, content, out var m) is { } early)
        {
            return early;
        }

        var balanceBefore = m.Balance;
        var posting = new ModelPosting(m, Program, Spec, Kinds.Purchase, p.PurchaseId);
        var ppu = Program.PointsPerUnit[p.Currency];
        var lot = Program.LotDay(p.OccurredAt);
        var first = m.PurchaseCount == 0;
        var earn = (long)Math.Floor(p.Amount * ppu * Program.Tiers[m.Tier].Multiplier);
        posting.Credit(Kinds.Earn, earn, lot, p.PurchaseId, null);
        if (first && Program.FirstPurchaseBonus > 0)
        {
            posting.Credit(Kinds.Bonus, Program.FirstPurchaseBonus, lot, p.PurchaseId, "first-purchase");
        }

        var reversibleBonus = 0L;
        if (Program.BigOrderThresholds.TryGetValue(p.Currency, out var big) && p.Amount >= big)
        {
            posting.Credit(Kinds.Bonus, Program.BigOrderBonus, lot, p.PurchaseId, "big-order");
            reversibleBonus += Program.BigOrderBonus;
        }

        foreach (var (promotion, points) in Promotions(m, p, ppu))
        {
            posting.Credit(Kinds.Bonus, points, lot, p.PurchaseId, promotion);
            reversibleBonus += points;
        }

        var earned = posting.Entries.Sum(e => e.Points);
        var month = m.Month(p.OccurredAt);
        month.Spend += p.Amount * ppu;
        month.Points += earned;
        m.Lifetime += earned;
        m.PurchaseCount++;
        m.LastPurchaseAt = m.LastPurchaseAt is { } last && last > p.OccurredAt ? last : p.OccurredAt;

        var vouchers = new JsonArray();
        foreach (var rule in Program.Thresholds)
        {
            var blocked = m.Grants.Any(g => g.Rule == rule.Id && !g.Void && g.Day > Today.AddMonths(-rule.WithinMonths));
            if (blocked || m.WindowSpend(Today, rule.WithinMonths) < rule.Spend)
            {
                continue;
            }

            m.Grants.Add(new Grant(rule.Id, Today, rule.Points ?? 0, p.PurchaseId));
            if (rule.Points is { } points)
            {
                posting.Credit(Kinds.Bonus, points, lot, p.PurchaseId, rule.Id);
                month.Points += points;
                m.Lifetime += points;
                earned += points;
            }

            if (rule.RewardId is { } reward)
            {
                vouchers.Add(new JsonObject { ["rewardId"] = reward, ["rule"] = rule.Id });
            }
        }

        var qualified = Program.QualifiedTier(m.WindowSpend(Today, Program.TierWindowMonths));
        if (qualified > m.Tier)
        {
            m.Tier = qualified;
            m.TierReviewOn = Today.AddMonths(Program.TierWindowMonths + Program.TierGraceMonths);
            posting.Event(Kinds.Tier, null, TierId(m));
        }

        PayOwedIfKept(posting, p.PurchaseId);
        if (Spec.Has(ModelSpec.Expiry) && lot < Today)
        {
            // (README, Lots and expiry) Back-filled history: points whose day has passed are credited and expire at
            // once, with every lot due by then, so that they can never be spent.
            foreach (var (day, points) in m.Lots.Where(l => l.Key <= lot).ToList())
            {
                posting.Expire(day, points);
            }
        }

        posting.Commit();
        var pending = Pend(m, p, m.Balance - balanceBefore);
        purchases[p.PurchaseId] = new PurchaseRecord(p, p.Amount * ppu, earn, Program.ReverseBonuses ? reversibleBonus : 0);
        if (first && m.ReferredBy is { } referrer)
        {
            CreditReferrer(referrer, m.Id);
        }

        return Record(Kinds.Purchase, p.PurchaseId, m.Id, content, Expected.Answer(
            201, F.Is("pointsEarned", earned), F.Is("balance", m.Balance), F.Is("tier", TierId(m)), F.Is("vouchers", vouchers), F.New("pointsPending", pending)));
    }

    /// <summary>(README, Pending points) What the purchase added to the balance is pending until the start of the day
    /// pendingDays after the purchase, in the member's time zone, unless that has passed. Returns the points pending.</summary>
    private long Pend(ModelMember m, RecordPurchase p, long added)
    {
        if (Program.PendingDays == 0 || added <= 0)
        {
            return 0;
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(m.TimeZone);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(p.OccurredAt, zone).DateTime).AddDays(Program.PendingDays).ToDateTime(TimeOnly.MinValue);
        var availableAt = new DateTimeOffset(day, zone.GetUtcOffset(day));
        if (availableAt <= Now)
        {
            return 0;
        }

        m.Pending.Add(new ModelPending(p.PurchaseId, added, availableAt));
        return added;
    }

    /// <summary>The promotions a purchase earns, with their bonus points.</summary>
    private IEnumerable<(string Id, long Points)> Promotions(ModelMember m, RecordPurchase p, decimal ppu)
    {
        var local = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(p.OccurredAt, TimeZoneInfo.FindSystemTimeZoneById(m.TimeZone)).DateTime);
        foreach (var promotion in Program.Promotions)
        {
            if (local < promotion.From || local > promotion.To || (promotion.Stores.Count > 0 && !promotion.Stores.Contains(p.StoreId ?? "")))
            {
                continue;
            }

            var matching = promotion.Categories.Count == 0
                ? p.Amount
                : Math.Min(p.Amount, p.Lines.Where(l => promotion.Categories.Contains(l.Category)).Sum(l => l.Amount));
            var points = promotion.Multiplier is { } multiplier
                ? (long)Math.Floor(matching * ppu * (multiplier - 1))
                : matching > 0 ? promotion.Points ?? 0 : 0;
            if (points > 0)
            {
                yield return (promotion.Id, points);
            }
        }
    }

    private void CreditReferrer(string referrerId, string referred)
    {
        if (Member(referrerId) is not { Erased: false } referrer || operations.ContainsKey((Kinds.Referral, referred)))
        {
            return;
        }

        var posting = new ModelPosting(referrer, Program, Spec, Kinds.Referral, referred);
        posting.Credit(Kinds.Bonus, Program.ReferralBonus, Program.LotDay(Now), referred, "referral");
        referrer.Lifetime += Program.ReferralBonus;
        referrer.Month(Now).Points += Program.ReferralBonus;
        PayOwedIfKept(posting, referred);
        posting.Commit();
        operations[(Kinds.Referral, referred)] = new OperationRecord(referrerId, "", Expected.Answer(201));
    }

    private void PayOwedIfKept(ModelPosting posting, string reference)
    {
        if (Spec.Has(ModelSpec.Owed))
        {
            posting.PayOwed(reference);
        }
    }

    private Expected Return(RecordReturn r)
    {
        var content = Content(r.MemberId, r.PurchaseId, Number(r.Amount), r.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
        PurchaseRecord? Purchase(ModelMember m) => purchases.GetValueOrDefault(r.PurchaseId) is { } p && p.MemberId == m.Id ? p : null;
        IEnumerable<Refusal> Refusals(ModelMember m) => Purchase(m) switch
        {
            null => [new Refusal(404, "/problems/purchase-not-found", [])],
            { Returnable: var returnable } when r.Amount > returnable =>
                [new Refusal(422, "/problems/return-exceeds-purchase", [F.New("returnable", returnable), F.New("requested", r.Amount)])],
            _ => [],
        };
        if (Precheck(r.MemberId, Kinds.Return, r.ReturnId, content, out var m, Refusals) is { } early)
        {
            return early;
        }

        var purchase = Purchase(m)!;

        var posting = new ModelPosting(m, Program, Spec, Kinds.Return, r.ReturnId);
        var returnedTotal = purchase.Returned + r.Amount;
        var due = (long)Math.Floor(purchase.Reversible * returnedTotal / purchase.Amount) - purchase.ReversedSoFar;
        var (reversed, owed) = posting.TakeBack(due, r.ReturnId, null, m.Held(Now));
        if (m.Pending.FirstOrDefault(x => x.PurchaseId == r.PurchaseId && x.AvailableAt > Now) is { } pending)
        {
            // (README, Pending points) A return within the window takes the purchase's pending points first.
            pending.Points -= Math.Min(pending.Points, reversed);
        }

        var measureBefore = m.WindowSpend(Today, Program.TierWindowMonths);
        var month = m.Month(purchase.Request.OccurredAt);
        month.Spend -= purchase.Spend * r.Amount / purchase.Amount;
        month.Points -= due;
        m.Lifetime -= due;
        purchase.Returned = returnedTotal;
        purchase.ReversedSoFar += due;
        if (Spec.Has(ModelSpec.TierFallback))
        {
            FallBackTier(m, posting, measureBefore);
        }

        var voided = Spec.Has(ModelSpec.VoidGrants) ? VoidGrants(m, posting, purchase) : [];
        posting.Commit();
        return Record(Kinds.Return, r.ReturnId, m.Id, content, Expected.Answer(
            201,
            F.Is("pointsReversed", reversed),
            F.Is("balance", m.Balance),
            F.Is("returnedTotal", returnedTotal),
            F.Is("returnable", purchase.Returnable),
            F.New("pointsOwed", owed),
            F.New("tier", TierId(m)),
            F.New("vouchersVoided", new JsonArray([.. voided.Select(c => (JsonNode?)JsonValue.Create(c))]))));
    }

    /// <summary>(new) A member the returned spend had carried to their tier falls back at once; one already below it
    /// (in the grace period) keeps it.</summary>
    private void FallBackTier(ModelMember m, ModelPosting posting, decimal measureBefore)
    {
        var before = Program.QualifiedTier(measureBefore);
        var after = Program.QualifiedTier(m.WindowSpend(Today, Program.TierWindowMonths));
        if (before >= m.Tier && after < m.Tier)
        {
            m.Tier = after;
            if (after == 0)
            {
                m.TierReviewOn = null;
            }

            posting.Event(Kinds.Tier, null, TierId(m));
        }
    }

    /// <summary>(new) Grants whose window the returned purchase counted in, and whose window no longer reaches the
    /// rule's spend, are void: their points taken back, their vouchers void. Returns the voided voucher codes.</summary>
    private List<string> VoidGrants(ModelMember m, ModelPosting posting, PurchaseRecord purchase)
    {
        var voided = new List<string>();
        var purchaseMonth = ModelMember.MonthKey(DateOnly.FromDateTime(purchase.Request.OccurredAt.UtcDateTime));
        foreach (var grant in m.Grants.Where(g => !g.Void))
        {
            var rule = Program.Thresholds.Single(t => t.Id == grant.Rule);
            var last = ModelMember.MonthKey(grant.Day);
            if (purchaseMonth > last || purchaseMonth < last.AddMonths(1 - rule.WithinMonths) || m.WindowSpend(grant.Day, rule.WithinMonths) >= rule.Spend)
            {
                continue;
            }

            grant.Void = true;

            // (README, Vouchers) The grant's voucher is void when unused; when it was used, the reward's cost is taken
            // back with the grant's points. A voucher the nightly expiry marked expired stays expired.
            var voucher = m.Vouchers.Values.FirstOrDefault(v => v.Code is not null && v.Code == grant.VoucherCode);
            var takeBack = grant.Points + (voucher is { Used: true } ? Program.Reward(voucher.RewardId).Cost : 0);
            if (takeBack > 0)
            {
                posting.TakeBack(takeBack, null, $"{grant.Rule} void", m.Held(Now));
            }

            if (grant.Points > 0)
            {
                // The specification names lifetime; the month the grant counted in gives them back too (read so: the
                // points a tier measured by points counts are the points the member keeps).
                m.Lifetime -= grant.Points;
                m.Month(purchases[grant.PurchaseId].Request.OccurredAt).Points -= grant.Points;
            }

            if (grant.VoucherCode is { } code && voucher is not { Used: true } && voucher?.ExpiredByJob != true)
            {
                voided.Add(code);
                if (voucher is not null)
                {
                    voucher.Void = true;
                }
            }
        }

        return voided;
    }

    private Expected Redeem(Redeem r)
    {
        var reward = Program.Reward(r.RewardId);
        IEnumerable<Refusal> Refusals(ModelMember m)
        {
            if (reward.Stock is { } stock && Taken(reward.Id) >= stock)
            {
                yield return new Refusal(409, "/problems/out-of-stock", []);
            }

            if (reward.MinTier is { } minTier && m.Tier < Program.TierIndex(minTier))
            {
                yield return new Refusal(422, "/problems/tier-required", [F.New("requiredTier", minTier), F.New("tier", TierId(m))]);
            }

            // (README, At the till) Only available points pay: not those held at a till, nor those still pending.
            if (m.Available(Now) < reward.Cost)
            {
                yield return new Refusal(422, InsufficientPoints, [F.New("balance", m.Balance), F.New("required", reward.Cost)]);
            }
        }

        var limited = reward.Stock is not null;
        if (Precheck(r.MemberId, Kinds.Redeem, r.RedemptionId, Content(r.MemberId, r.RewardId), out var m, Refusals, rulesFirst: limited) is { } early)
        {
            return early;
        }

        var posting = new ModelPosting(m, Program, Spec, Kinds.Redeem, r.RedemptionId);
        var consumed = posting.Debit(reward.Cost);
        posting.Entries.Add(new ModelEntry("redeem", -reward.Cost, r.RedemptionId));
        posting.Commit();
        redemptions[r.RedemptionId] = new RedemptionRecord(r, reward.Cost, consumed);
        if (reward.IsVoucher)
        {
            m.Vouchers[r.RedemptionId] = new ModelVoucher(m.Id, reward.Id, Today.AddDays(reward.ValidDays));
        }

        if (reward.Stock is not null)
        {
            taken[reward.Id] = Taken(reward.Id) + 1;
        }

        return Record(Kinds.Redeem, r.RedemptionId, m.Id, Content(r.MemberId, r.RewardId), Expected.Answer(
            201, F.Is("pointsSpent", reward.Cost), F.Is("balance", m.Balance), F.Is("rewardId", reward.Id)));
    }

    private Expected Cancel(Cancel c)
    {
        RedemptionRecord? Redemption(ModelMember m) => redemptions.GetValueOrDefault(c.RedemptionId) is { } r && r.MemberId == m.Id ? r : null;
        IEnumerable<Refusal> Refusals(ModelMember m) => Redemption(m) is null
            ? [new Refusal(404, "/problems/redemption-not-found", [])]
            : m.Vouchers.GetValueOrDefault(c.RedemptionId) is { Used: true } ? [new Refusal(409, "/problems/voucher-used", [])] : [];
        if (Precheck(c.MemberId, Kinds.Cancel, c.RedemptionId, c.MemberId, out var m, Refusals) is { } early)
        {
            return early;
        }

        if (m.Vouchers.GetValueOrDefault(c.RedemptionId) is { } voucher)
        {
            voucher.Void = true;
        }

        var redemption = Redemption(m)!;

        var posting = new ModelPosting(m, Program, Spec, Kinds.Cancel, c.RedemptionId);
        posting.Restore(redemption.Consumed, c.RedemptionId, "redemption cancelled");
        PayOwedIfKept(posting, c.RedemptionId);
        posting.Commit();
        redemption.Cancelled = true;
        if (Program.Reward(redemption.RewardId).Stock is not null)
        {
            taken[redemption.RewardId]--;
        }

        var lots = new JsonArray([.. redemption.Consumed.Select(l => (JsonNode?)new JsonObject { ["expiresOn"] = Day(l.Day), ["points"] = l.Points })]);
        return Record(Kinds.Cancel, c.RedemptionId, m.Id, c.MemberId, Expected.Answer(
            200, F.Is("pointsRestored", redemption.Cost), F.Is("balance", m.Balance), F.Is("restoredLots", lots)));
    }

    private Expected Adjust(Adjust a)
    {
        if (WholePoints(a.PointsJson) is not { } points)
        {
            // The specification says 400 naming points, not which problem type.
            return Expected.Problem(400, null);
        }

        var content = Content(a.MemberId, points.ToString(CultureInfo.InvariantCulture), a.Reason);
        // (README, Pay with points) A debit where negative balances are off leaves held points alone.
        IEnumerable<Refusal> Refusals(ModelMember m) => points < 0 && !Program.AllowNegativeBalance && m.Balance - m.Held(Now) < -points
            ? [new Refusal(422, InsufficientPoints, [F.New("balance", m.Balance), F.New("required", -points)])]
            : [];
        if (Precheck(a.MemberId, Kinds.Adjust, a.AdjustmentId, content, out var m, Refusals) is { } early)
        {
            return early;
        }

        var posting = new ModelPosting(m, Program, Spec, Kinds.Adjust, a.AdjustmentId);
        if (points > 0)
        {
            posting.Credit(Kinds.Adjust, points, Program.LotDay(Now), a.AdjustmentId, a.Reason);
            PayOwedIfKept(posting, a.AdjustmentId);
        }
        else
        {
            posting.Debit(-points);
            posting.Entries.Add(new ModelEntry(Kinds.Adjust, points, a.AdjustmentId, a.Reason));
        }

        posting.Commit();
        return Record(Kinds.Adjust, a.AdjustmentId, m.Id, content, Expected.Answer(201, F.Is("points", points), F.Is("balance", m.Balance)));
    }

    /// <summary>(new) A whole number of points other than 0 within ±1,000,000, however written (10, 10.0, 1e1); null
    /// when the request must be refused with 400.</summary>
    private static long? WholePoints(string json) =>
        decimal.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d != 0 && Math.Abs(d) <= 1_000_000
            ? (long)d
            : null;

    private Expected ExpirePoints()
    {
        ExpireRuns.Add(Today);
        foreach (var voucher in members.Values.SelectMany(m => m.Vouchers.Values).Where(v => !v.Used && !v.Void && v.ExpiresOn <= Today))
        {
            voucher.ExpiredByJob = true;
        }

        foreach (var m in members.Values)
        {
            var due = m.Lots.Where(l => l.Key <= Today).ToList();
            if (due.Count == 0)
            {
                continue;
            }

            var posting = new ModelPosting(m, Program, Spec, Kinds.Expire, Day(Today));
            foreach (var (day, points) in due)
            {
                posting.Expire(day, points);
            }

            posting.Commit();
        }

        return Expected.Answer(200);
    }

    /// <summary>Unchanged by the specification (README, Tiers): a member whose review day has come keeps a tier they
    /// still qualify for (looked at again in a month) or moves down one tier (looked at again after the grace months,
    /// at least one). Erased members have no review hint any more (README, Erase); without that part of the rules the
    /// generator erases no member whose tier is under review.</summary>
    private Expected ReviewTiers()
    {
        ReviewRuns.Add(Today);
        foreach (var m in members.Values.Where(m => !m.Erased && m.TierReviewOn is { } due && due <= Today))
        {
            var posting = new ModelPosting(m, Program, Spec, Kinds.TierReview, Day(Today));
            if (Program.QualifiedTier(m.WindowSpend(Today, Program.TierWindowMonths)) >= m.Tier)
            {
                m.TierReviewOn = m.Tier == 0 ? null : Today.AddMonths(1);
            }
            else
            {
                m.Tier--;
                m.TierReviewOn = m.Tier == 0 ? null : Today.AddMonths(Math.Max(1, Program.TierGraceMonths));
                posting.Event(Kinds.Tier, null, TierId(m));
            }

            posting.Commit();
        }

        return Expected.Answer(200);
    }

    /// <summary>(README, Pay with points) Reserves available points: an amount is priced at the currency's rate, rounded
    /// up; never from pending points, never into a negative balance.</summary>
    private Expected Hold(PlaceHold h)
    {
        long points;
        if (h.Points is { } given)
        {
            points = given;
        }
        else if (h.Currency is { } currency && Program.PointsToPay.TryGetValue(currency, out var rate))
        {
            points = (long)Math.Ceiling(h.Amount!.Value * rate);
        }
        else
        {
            return Expected.Problem(400, Validation);
        }

        if (points is < 1 or > 100_000_000 || h.Minutes is < 1 or > 1440)
        {
            return Expected.Problem(400, Validation);
        }

        var content = Content(h.MemberId, points.ToString(CultureInfo.InvariantCulture), h.Amount is { } a ? Number(a) : null, h.Currency, h.Minutes.ToString(CultureInfo.InvariantCulture));
        IEnumerable<Refusal> Refusals(ModelMember m)
        {
            if (m.Available(Now) < points)
            {
                yield return new Refusal(422, InsufficientPoints, [F.New("balance", m.Balance), F.New("required", points), F.New("available", m.Available(Now))]);
            }

            if (m.Holds.Values.Count(x => x.Status == ModelHold.Active && x.ExpiresAt > Now) >= 20)
            {
                yield return new Refusal(422, "/problems/too-many-holds", []);
            }
        }

        if (Precheck(h.MemberId, Kinds.Hold, h.HoldId, content, out var m, Refusals) is { } early)
        {
            return early;
        }

        m.Holds[h.HoldId] = new ModelHold(points, Now.AddMinutes(h.Minutes));
        return Record(Kinds.Hold, h.HoldId, m.Id, content, Expected.Answer(
            201, F.Is("points", points), F.Is("status", ModelHold.Active), F.Is("available", m.Available(Now)), F.Is("balance", m.Balance)));
    }

    /// <summary>(README, Pay with points) A capture burns the points for the order (a partial one releases the rest);
    /// refused once the hold was released or expired, and when the balance no longer has the points.</summary>
    private Expected Capture(CaptureHold c)
    {
        if (c.Points is < 1 or > 100_000_000)
        {
            return Expected.Problem(400, Validation);
        }

        var content = Content(c.MemberId, c.OrderId, c.Points?.ToString(CultureInfo.InvariantCulture));
        IEnumerable<Refusal> Refusals(ModelMember m)
        {
            if (m.Holds.GetValueOrDefault(c.HoldId) is not { } hold)
            {
                yield return new Refusal(404, "/problems/hold-not-found", []);
            }
            else if (hold.StatusAt(Now) is var status and not ModelHold.Active)
            {
                yield return new Refusal(409, HoldNotActive, [F.New("state", status)]);
            }
            else if ((c.Points ?? hold.Points) > hold.Points)
            {
                yield return new Refusal(422, "/problems/capture-exceeds-hold", []);
            }
            else if (m.Balance < (c.Points ?? hold.Points))
            {
                yield return new Refusal(422, InsufficientPoints, [F.New("balance", m.Balance), F.New("required", c.Points ?? hold.Points)]);
            }
        }

        if (Precheck(c.MemberId, Kinds.Capture, c.HoldId, content, out var m, Refusals) is { } early)
        {
            return early;
        }

        var held = m.Holds[c.HoldId];
        var captured = c.Points ?? held.Points;
        var posting = new ModelPosting(m, Program, Spec, Kinds.Capture, c.HoldId);
        posting.Debit(captured);
        posting.Entries.Add(new ModelEntry(Kinds.Burn, -captured, c.OrderId, $"hold {c.HoldId}"));
        posting.Commit();
        held.Status = "captured";
        return Record(Kinds.Capture, c.HoldId, m.Id, content, Expected.Answer(
            200, F.Is("status", "captured"), F.Is("capturedPoints", captured), F.Is("releasedPoints", held.Points - captured), F.Is("balance", m.Balance), F.Is("available", m.Available(Now))));
    }

    /// <summary>(README, Pay with points) A release gives the points back; a captured hold cannot be released.</summary>
    private Expected Release(ReleaseHold r)
    {
        IEnumerable<Refusal> Refusals(ModelMember m) => m.Holds.GetValueOrDefault(r.HoldId) switch
        {
            null => [new Refusal(404, "/problems/hold-not-found", [])],
            { Status: "captured" } => [new Refusal(409, HoldNotActive, [F.New("state", "captured")])],
            _ => [],
        };
        if (Precheck(r.MemberId, Kinds.Release, r.HoldId, r.MemberId, out var m, Refusals) is { } early)
        {
            return early;
        }

        var held = m.Holds[r.HoldId];
        held.Status = "released";
        return Record(Kinds.Release, r.HoldId, m.Id, r.MemberId, Expected.Answer(
            200, F.Is("status", "released"), F.Is("releasedPoints", held.Points), F.Is("balance", m.Balance), F.Is("available", m.Available(Now))));
    }

    /// <summary>(README, Vouchers) A voucher is used once; another use of a used voucher is 409, of an expired or void
    /// one 422 with the reason.</summary>
    private Expected Use(UseVoucher u)
    {
        if (KnownVouchers.FirstOrDefault(v => v.Code == u.Code) is not { } voucher)
        {
            return Expected.Problem(404, "/problems/voucher-not-found");
        }

        var content = Content(u.Code, u.OrderId);
        IEnumerable<Refusal> Refusals(ModelMember m) => voucher.StatusOn(Today) switch
        {
            "used" => [new Refusal(409, "/problems/voucher-used", [])],
            "active" => [],
            var reason => [new Refusal(422, "/problems/voucher-not-usable", [F.New("reason", reason)])],
        };
        if (Precheck(voucher.MemberId, Kinds.VoucherUse, u.UseId, content, out var m, Refusals) is { } early)
        {
            return early;
        }

        voucher.Used = true;
        return Record(Kinds.VoucherUse, u.UseId, m.Id, content, Expected.Answer(
            201, F.Is("rewardId", voucher.RewardId), F.Is("orderId", u.OrderId), F.Is("memberId", m.Id)));
    }

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Number(decimal d) => d.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Content(params string?[] parts) => string.Join('|', parts);

    private sealed record OperationRecord(string Member, string Content, Expected Answer);
}

/// <summary>Operation and ledger entry kinds as the API shows them (the export's operation rows, the ledger's entries).</summary>
public static class Kinds
{
    public const string Purchase = "purchase";
    public const string Return = "return";
    public const string Redeem = "redeem";
    public const string Cancel = "cancel";
    public const string Adjust = "adjust";
    public const string Referral = "referral";
    public const string Expire = "expire";
    public const string TierReview = "tier-review";
    public const string Earn = "earn";
    public const string Bonus = "bonus";
    public const string Tier = "tier";
    public const string Hold = "hold";
    public const string Capture = "capture";
    public const string Release = "release";
    public const string VoucherUse = "voucher-use";
    public const string Import = "import";
    public const string Burn = "burn";
}
