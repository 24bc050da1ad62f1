using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Loyalty.Tests.Model;

/// <summary>After a sequence: every member as the API shows them (the member, the whole ledger page by page, the
/// export with every operation row and the entries it made) agrees with the model, and the invariants at the end of
/// the specification hold, reading the tables where the API does not show what they say.</summary>
public sealed class ModelVerifier(ModelWorld world, ReferenceModel model, SequenceRunner runner, Random random)
{
    private static readonly string[] UniqueKinds = [Kinds.Purchase, Kinds.Return, Kinds.Redeem, Kinds.Cancel, Kinds.Adjust, Kinds.Hold, Kinds.VoucherUse];

    private readonly Dictionary<(string Kind, string Id), string> operationOwners = [];
    private readonly Dictionary<string, int> activeRedemptions = [];

    public List<string> Differences { get; } = [];

    /// <summary>How many invariant checks ran (each invariant, for each member or reward it is about).</summary>
    public int InvariantsChecked { get; private set; }

    public async Task VerifyAsync()
    {
        foreach (var member in model.Members)
        {
            await VerifyMemberAsync(member);
        }

        await VerifyStockAsync();
        await VerifyHintsAsync();
        await VerifyStrangersAsync();
    }

    /// <summary>(README, A number no member has) What a stranger's number keeps: one reply per HELP or STOP it texted
    /// (never for anything else, never twice for a message delivered again), at most 3 a UTC day.</summary>
    private async Task VerifyStrangersAsync()
    {
        foreach (var (number, answered) in model.Strangers)
        {
            var partition = world.Service<Loyalty.Functions.Outreach.SmsInboundHandler>().NumberPartition(number);
            var replies = await world.Service<Loyalty.Adapters.Storage.Outbox>().ListAsync(partition, CancellationToken.None);
            var periods = replies.Select(r => r.Key.Period).ToList();
            var days = replies.GroupBy(r => DateOnly.FromDateTime(r.PlannedAt.UtcDateTime)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
            if (!periods.All(answered.Contains) || periods.Distinct().Count() != periods.Count || days > 3 || (answered.Count > 0) != (periods.Count > 0))
            {
                Fail(number[..6] + "…", $"a stranger's replies [{string.Join(", ", replies.Select(r => $"{r.Key.Campaign} {r.Key.Period}"))}], " +
                    $"expected one for each of [{string.Join(", ", answered)}], at most 3 a day");
            }
        }
    }

    private void Fail(string member, string what) => Differences.Add($"{member}: {what}");

    private void Invariant(bool holds, string member, string what)
    {
        InvariantsChecked++;
        if (!holds)
        {
            Fail(member, "invariant: " + what);
        }
    }

    private async Task VerifyMemberAsync(ModelMember m)
    {
        var (status, body) = await world.GetAsync($"/api/members/{m.Id}", random.Next(2));
        if (status != 200)
        {
            Fail(m.Id, $"GET member answered {status}: {body}");
            return;
        }

        var shown = AnswerCheck.Parse(body);
        Differences.AddRange(AnswerCheck.Figures(MemberFigures(m), shown).Select(d => $"{m.Id} GET: {d}"));
        var export = AnswerCheck.Parse((await world.GetAsync($"/api/members/{m.Id}/export")).Body)!;
        var ledger = export["ledger"]!.AsArray().Select(e => e!).ToList();
        await VerifyPagesAsync(m, ledger);
        Differences.AddRange(AnswerCheck.Figures(AccountFigures(m), export["account"]).Select(d => $"{m.Id} export account: {d}"));
        VerifyActivity(m, export["account"]!);
        if (export["account"]!["enrolledAt"]?.GetValue<DateTimeOffset>() is var enrolled && enrolled != m.EnrolledAt)
        {
            Fail(m.Id, $"enrolledAt is {enrolled:O}, expected {m.EnrolledAt:O}");
        }

        VerifyOperations(m, ledger, export["operations"]!.AsArray().Select(o => o!).ToList());
        Differences.AddRange(ConsentRecordDifferences(m, export["consent"]).Select(d => $"{m.Id}: {d}"));
        await VerifyRepliesAsync(m);
        VerifyRedemptions(m, export["redemptions"]!.AsArray());

        var account = export["account"]!;
        var lots = account["lots"]!.AsArray().Select(l => l!["points"]!.GetValue<long>()).ToList();
        var debt = account["debt"]?.GetValue<long>() ?? 0;
        var owed = shown!["points"]?["owed"]?.GetValue<long>() ?? 0;
        Invariant(lots.All(p => p > 0), m.Id, $"7: lots are never negative or empty ({string.Join(", ", lots)})");
        Invariant(debt == 0 || lots.Count == 0, m.Id, $"7: debt ({debt}) only when there are no lots ({lots.Count})");
        Invariant(owed >= 0 && (owed == 0 || !model.Program.AllowNegativeBalance), m.Id, $"7: owed ({owed}) >= 0, only with negative balances off");
        var points = shown!["points"]!;
        var (balance, available, held, pending) = (Long(points, "balance"), Long(points, "available"), Long(points, "held"), Long(points, "pending"));
        Invariant(available == balance - held - pending, m.Id, $"till: available ({available}) = balance ({balance}) - held ({held}) - pending ({pending})");
        Invariant(held >= 0 && pending >= 0 && held + pending <= Math.Max(0, balance), m.Id, $"till: held ({held}) and pending ({pending}) are parts of a positive balance ({balance})");
        await VerifyVouchersAsync(m);
        if (m.Erased)
        {
            VerifyErased(m, export.ToJsonString());
        }
    }

    /// <summary>The consent record in the export has one entry per change (and per STOP, START or YES that applied) the
    /// model predicted, oldest first: the channel, the consent after it and the keyword.</summary>
    public static List<string> ConsentRecordDifferences(ModelMember m, JsonNode? record)
    {
        var shown = (record as JsonArray ?? []).Select(c => new ModelConsentEntry(
            default, c!["channel"]!.GetValue<string>(), c["consent"]!.GetValue<string>(), c["keyword"]?.GetValue<string>()).ToString());
        var expected = m.ConsentRecord.OrderBy(e => e.RequestedAt).Select(e => e.ToString());
        return shown.SequenceEqual(expected)
            ? []
            : [$"consent record [{string.Join(", ", shown)}], expected [{string.Join(", ", expected)}]"];
    }

    private static readonly HashSet<string> Replies = ["help", "balance", "stop-confirmation", "start-confirmation"];

    /// <summary>Replies to SMS (<c>/messages</c>): each answers a message that was delivered, and no message is answered
    /// twice, however often its event was delivered.</summary>
    private async Task VerifyRepliesAsync(ModelMember m)
    {
        if (m.Erased || model.Texts.Count == 0)
        {
            return;
        }

        var (status, body) = await world.GetAsync($"/api/members/{m.Id}/messages", random.Next(2));
        var periods = (AnswerCheck.Parse(body) as JsonArray ?? []).Where(r => Replies.Contains(r!["campaign"]!.GetValue<string>()))
            .Select(r => r!["period"]!.GetValue<string>()).ToList();
        if (status != 200 || periods.Distinct().Count() != periods.Count || !periods.All(model.Texts.Contains))
        {
            Fail(m.Id, $"replies to SMS: {status}, periods [{string.Join(", ", periods)}]: each must answer one delivered message, once");
        }
    }

    private static long Long(JsonNode node, string name) => node[name]?.GetValue<long>() ?? 0;

    /// <summary>Every voucher of the member whose code the answers told: found by its code, with the status the model
    /// expects (used, void, expired by the clock, or active).</summary>
    private async Task VerifyVouchersAsync(ModelMember m)
    {
        foreach (var voucher in m.Vouchers.Values.Where(v => v.Code is not null))
        {
            var (status, body) = await world.GetAsync($"/api/vouchers/{voucher.Code}", random.Next(2));
            var shown = AnswerCheck.Parse(body);
            var expected = voucher.StatusOn(model.Today);
            if (status != 200 || shown?["status"]?.GetValue<string>() != expected || shown["memberId"]?.GetValue<string>() != m.Id)
            {
                Fail(m.Id, $"voucher {voucher.Code} ({voucher.RewardId}) answered {status} {body}; expected {expected} for {m.Id}");
            }
        }
    }

    private List<Figure> MemberFigures(ModelMember m)
    {
        var next = m.Lots.Count == 0 ? null : new JsonObject { ["points"] = m.Lots.First().Value, ["expiresOn"] = ReferenceModel.Day(m.Lots.First().Key) };
        List<Figure> figures =
        [
            F.Is("points.balance", m.Balance),
            F.Is("points.lifetime", m.Lifetime),
            F.New("points.owed", m.Owed),
            F.New("points.available", m.Available(model.Now)),
            F.New("points.held", m.Held(model.Now)),
            F.New("points.pending", m.PendingPoints(model.Now)),
            F.Is("points.nextExpiry", next),
            F.Is("tier", model.TierId(m)),
            F.Is("firstName", m.FirstName),
            F.Is("phone", m.Phone),
            F.Is("birthday", m.Birthday),
            F.Is("timeZone", m.TimeZone),
            F.Is("referredBy", m.ReferredBy),
            .. model.ConsentFigures(m),
        ];
        if (m.Erased)
        {
            figures.Add(F.Is("locale", "en"));
        }

        return figures;
    }

    private List<Figure> AccountFigures(ModelMember m) =>
    [
        F.Is("balance", m.Balance),
        F.Is("lifetime", m.Lifetime),
        F.Is("debt", m.Debt),
        F.New("owed", m.Owed),
        F.Is("purchaseCount", m.PurchaseCount),
        F.Is("tierReviewOn", m.TierReviewOn is { } review ? ReferenceModel.Day(review) : null),
        F.Is("lots", new JsonArray([.. m.Lots.Select(l => (JsonNode?)new JsonObject { ["expiresOn"] = ReferenceModel.Day(l.Key), ["points"] = l.Value })])),
    ];

    /// <summary>Monthly activity (months with no spend and no points left are the same as none) and the last purchase.</summary>
    private void VerifyActivity(ModelMember m, JsonNode account)
    {
        static string Text(IEnumerable<(string Month, decimal Spend, long Points)> months) =>
            string.Join(", ", months.Where(x => x.Spend != 0 || x.Points != 0).OrderBy(x => x.Month, StringComparer.Ordinal)
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Month}: {x.Spend:0.##} spend, {x.Points} points")));
        var shown = Text(account["months"]!.AsObject().Select(p => (p.Key, p.Value!["spend"]!.GetValue<decimal>(), p.Value!["points"]!.GetValue<long>())));
        var expected = Text(m.Months.Select(p => (p.Key.ToString("yyyy-MM", CultureInfo.InvariantCulture), p.Value.Spend, p.Value.Points)));
        if (shown != expected)
        {
            Fail(m.Id, $"monthly activity is [{shown}], expected [{expected}]");
        }

        var last = account["lastPurchaseAt"]?.GetValue<DateTimeOffset>();
        if (last != m.LastPurchaseAt)
        {
            Fail(m.Id, $"lastPurchaseAt is {last:O}, expected {m.LastPurchaseAt:O}");
        }
    }

    /// <summary>The ledger read page by page (pages of a random size) is the export's ledger, newest first; and
    /// invariant 1: the balance is the sum of the ledger, every balanceAfter the running sum.</summary>
    private async Task VerifyPagesAsync(ModelMember m, List<JsonNode> ledger)
    {
        var paged = new List<JsonNode>();
        var limit = random.Next(1, 40);
        string? continuation = null;
        do
        {
            var query = continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation);
            var page = AnswerCheck.Parse((await world.GetAsync($"/api/members/{m.Id}/ledger?limit={limit}{query}", random.Next(2))).Body)!;
            paged.AddRange(page["entries"]!.AsArray().Select(e => e!));
            continuation = page["continuation"]?.GetValue<string>();
        }
        while (continuation is not null && paged.Count <= ledger.Count);

        var newestFirst = ledger.AsEnumerable().Reverse().Select(e => e.ToJsonString()).ToList();
        if (!paged.Select(e => e.ToJsonString()).SequenceEqual(newestFirst))
        {
            Fail(m.Id, $"the ledger read in pages of {limit} ({paged.Count} entries) is not the export's ledger ({ledger.Count} entries) newest first");
        }

        var running = 0L;
        var runningOk = true;
        foreach (var entry in ledger)
        {
            running += entry["points"]!.GetValue<long>();
            runningOk &= entry["balanceAfter"]!.GetValue<long>() == running;
        }

        Invariant(runningOk, m.Id, "1: every entry's balanceAfter is the running sum of the ledger");
        Invariant(running == m.Balance, m.Id, $"1: the balance ({m.Balance}) is the sum of the ledger ({running})");
    }

    /// <summary>Invariant 2 (every entry belongs to exactly one operation), invariant 3 (an id is used once per program
    /// and kind), invariant 4 (no purchase credits more than its money can earn), and the operations with their entries
    /// equal the model's, in order.</summary>
    private void VerifyOperations(ModelMember m, List<JsonNode> ledger, List<JsonNode> operations)
    {
        var entries = ledger.ToDictionary(e => e["entryId"]!.GetValue<string>());
        var owners = new Dictionary<string, int>();
        var actual = new List<(string Kind, string Id, long FirstSeq, List<ModelEntry> Entries)>();
        foreach (var op in operations)
        {
            var kind = op["kind"]!.GetValue<string>();
            var id = op["id"]!.GetValue<string>();
            var seqs = op["entries"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
            foreach (var seq in seqs)
            {
                owners[seq] = owners.GetValueOrDefault(seq) + 1;
            }

            if (UniqueKinds.Contains(kind))
            {
                Invariant(operationOwners.TryAdd((kind, id), m.Id) || operationOwners[(kind, id)] == m.Id, m.Id, $"3: {kind} id '{id}' is used by {operationOwners.GetValueOrDefault((kind, id))} too");
            }

            var made = seqs.Where(entries.ContainsKey).Select(s => Entry(entries[s])).ToList();
            if (kind == Kinds.Purchase && runner.Sent.GetValueOrDefault((m.Id, id)) is { } sent)
            {
                var credited = made.Where(e => e.Points > 0).Sum(e => e.Points);
                var bound = CreditBound(sent);
                Invariant(credited <= bound, m.Id, $"4: purchase {id} of {sent.Amount} {sent.Currency} credited {credited}, more than any rule gives ({bound})");
            }

            var normalised = Normalise(made);
            if (normalised.Count > 0)
            {
                // Expiry may take several transactions (several operation rows) for one night: one operation here.
                actual.Add((kind, kind == Kinds.Expire ? id[..Math.Min(10, id.Length)] : id, seqs.Select(s => long.Parse(s, CultureInfo.InvariantCulture)).Min(), normalised));
            }
        }

        Invariant(entries.Keys.All(seq => owners.GetValueOrDefault(seq) == 1), m.Id,
            $"2: every ledger entry is listed by exactly one operation (entries {string.Join(", ", entries.Keys.Where(s => owners.GetValueOrDefault(s) != 1))} are not)");
        Invariant(owners.Keys.All(entries.ContainsKey), m.Id, "2: every entry an operation lists is in the ledger");
        Invariant(ledger.Select((e, i) => e["entryId"]!.GetValue<string>() == (i + 1).ToString(CultureInfo.InvariantCulture)).All(ok => ok), m.Id,
            "2: entries are numbered 1, 2, … without gaps, oldest first");

        var merged = actual.GroupBy(a => (a.Kind, a.Id))
            .Select(g => (g.Key.Kind, g.Key.Id, FirstSeq: g.Min(a => a.FirstSeq), Entries: g.SelectMany(a => a.Entries).ToList()))
            .OrderBy(a => a.FirstSeq).ToList();
        var expected = m.Operations.Select(o => (o.Kind, o.Id, Entries: Normalise(o.Entries))).Where(o => o.Entries.Count > 0).ToList();
        for (var i = 0; i < Math.Max(merged.Count, expected.Count); i++)
        {
            var (e, a) = (i < expected.Count ? expected[i] : default, i < merged.Count ? merged[i] : default);
            if (e.Kind != a.Kind || e.Id != a.Id || Unmatched(e.Entries, a.Entries) is { } missing)
            {
                Fail(m.Id, $"operation {i + 1} of the ledger: expected {e.Kind} {e.Id} [{string.Join("; ", e.Entries ?? [])}], " +
                    $"found {a.Kind} {a.Id} [{string.Join("; ", a.Entries ?? [])}]");
                return;
            }
        }
    }

    private static ModelEntry Entry(JsonNode e) => new(
        e["kind"]!.GetValue<string>(), e["points"]!.GetValue<long>(), e["reference"]?.GetValue<string>(), e["note"]?.GetValue<string>());

    /// <summary>What the comparison ignores, because the specification does not say it: entries of no points (except
    /// tier changes), and whether what is owed is paid in one entry per operation or one per credit.</summary>
    private static List<ModelEntry> Normalise(List<ModelEntry> entries)
    {
        var owed = entries.Where(e => e is { Kind: "reverse", Note: "owed" }).ToList();
        var kept = entries.Where(e => (e.Points != 0 || e.Kind == Kinds.Tier) && !owed.Contains(e)).ToList();
        if (owed.Sum(e => e.Points) is var paid and not 0)
        {
            kept.Add(new ModelEntry("reverse", paid, owed[0].Reference, "owed"));
        }

        return kept;
    }

    /// <summary>The expected entry that no actual entry matches (a null reference or note matches anything), or null.</summary>
    private static ModelEntry? Unmatched(List<ModelEntry>? expected, List<ModelEntry>? actual)
    {
        if (expected is null || actual is null || expected.Count != actual.Count)
        {
            return expected?.FirstOrDefault() ?? actual?.FirstOrDefault() ?? new ModelEntry("none", 0);
        }

        var left = actual.ToList();
        foreach (var e in expected.OrderBy(e => (e.Reference is null ? 1 : 0) + (e.Note is null ? 1 : 0)))
        {
            var match = left.FindIndex(a => a.Kind == e.Kind && a.Points == e.Points && (e.Reference is null || e.Reference == a.Reference) && (e.Note is null || e.Note == a.Note));
            if (match < 0)
            {
                return e;
            }

            left.RemoveAt(match);
        }

        return null;
    }

    /// <summary>The most any rule gives for a purchase's money: the highest tier's rate, every bonus, every promotion
    /// on the whole amount, every threshold's points.</summary>
    private long CreditBound(RecordPurchase p)
    {
        var program = model.Program;
        var value = p.Amount * program.PointsPerUnit[p.Currency];
        return (long)Math.Floor(value * program.Tiers.Max(t => t.Multiplier))
            + program.FirstPurchaseBonus + program.BigOrderBonus
            + program.Promotions.Sum(pr => pr.Multiplier is { } x ? (long)Math.Floor(value * (x - 1)) : pr.Points ?? 0)
            + program.Thresholds.Sum(t => t.Points ?? 0);
    }

    private void VerifyRedemptions(ModelMember m, JsonArray shown)
    {
        var statuses = shown.ToDictionary(r => r!["redemptionId"]!.GetValue<string>(), r => r!["status"]!.GetValue<string>());
        foreach (var r in shown.Where(r => r!["status"]!.GetValue<string>() == "active"))
        {
            var reward = r!["rewardId"]!.GetValue<string>();
            activeRedemptions[reward] = activeRedemptions.GetValueOrDefault(reward) + 1;
        }

        foreach (var r in model.Redemptions.Where(r => r.MemberId == m.Id))
        {
            var expected = r.Cancelled ? "cancelled" : "active";
            if (statuses.GetValueOrDefault(r.Request.RedemptionId) != expected)
            {
                Fail(m.Id, $"redemption {r.Request.RedemptionId} is {statuses.GetValueOrDefault(r.Request.RedemptionId) ?? "missing"}, expected {expected}");
            }
        }

        if (statuses.Count != model.Redemptions.Count(r => r.MemberId == m.Id))
        {
            Fail(m.Id, $"{statuses.Count} redemptions listed, expected {model.Redemptions.Count(r => r.MemberId == m.Id)}");
        }
    }

    /// <summary>Invariant 6 in the member's own data: no name, phone or birthday they ever gave is in the export, nor
    /// (new) the referrer they named.</summary>
    private void VerifyErased(ModelMember m, string export)
    {
        foreach (var personal in m.PersonalData)
        {
            Invariant(!export.Contains(personal, StringComparison.Ordinal), m.Id, $"6: the erased member's export still holds '{personal}'");
        }

        if (model.Spec.Has(ModelSpec.Erasure) && m.ReferrerEver is { } referrer)
        {
            Invariant(!export.Contains($"\"{referrer}\"", StringComparison.Ordinal), m.Id, $"6: the erased member's export still names their referrer '{referrer}'");
        }
    }

    /// <summary>Invariant 5: a limited reward's units held (the stock row in table <c>rewards</c>) are exactly its
    /// redemptions not cancelled, never below zero or above the stock.</summary>
    private async Task VerifyStockAsync()
    {
        var table = world.Tables.GetTableClient("rewards");
        foreach (var reward in model.Program.Rewards.Where(r => r.Stock is not null))
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(reward.Id, "stock");
            var takenRow = row.HasValue ? row.Value!.GetInt32("Taken") ?? 0 : 0;
            Invariant(takenRow == model.Taken(reward.Id), reward.Id, $"5: the stock row holds {takenRow} units, the model {model.Taken(reward.Id)}");
            Invariant(takenRow == activeRedemptions.GetValueOrDefault(reward.Id), reward.Id, $"5: {takenRow} units held, {activeRedemptions.GetValueOrDefault(reward.Id)} redemptions active");
            Invariant(takenRow >= 0 && takenRow <= reward.Stock, reward.Id, $"5: {takenRow} units held of {reward.Stock}");
        }
    }

    /// <summary>(new) Invariant 6 in the hint tables: no phone or birthday hint still leads to an erased member, and
    /// phone hints are not keyed by a plain SHA-256 of the number (anyone could try every number).</summary>
    private async Task VerifyHintsAsync()
    {
        if (!model.Spec.Has(ModelSpec.Erasure))
        {
            return;
        }

        var erased = model.Members.Where(m => m.Erased).Select(m => m.Id).ToHashSet();
        var plainKeys = model.Members.SelectMany(m => m.PersonalData).Where(p => p.StartsWith('+'))
            .Select(p => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(p)))).ToHashSet();
        foreach (var name in new[] { "phones", "birthdays" })
        {
            var rows = new List<TableEntity>();
            await foreach (var row in world.Tables.GetTableClient(name).QueryAsync<TableEntity>())
            {
                rows.Add(row);
            }

            foreach (var id in erased)
            {
                Invariant(!rows.Any(r => r.RowKey == id || r.Any(p => Equals(p.Value, id))), id, $"6: a row in '{name}' still leads to the erased member");
            }

            if (name == "phones")
            {
                Invariant(!rows.Any(r => plainKeys.Contains(r.PartitionKey)), name, "6: phone hints are keyed by a plain SHA-256 of the number, not a keyed HMAC");
            }
        }
    }
}
