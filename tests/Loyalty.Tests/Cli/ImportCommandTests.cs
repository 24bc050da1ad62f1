using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Hosting;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Cli;

/// <summary><c>loyalty import</c> on Azurite, with the integrity program (a spend threshold that gives a voucher, tiers),
/// on a fake clock: what it writes, re-runs, a run stopped part-way, rejected rows, members that are there already.</summary>
public sealed class ImportCommandTests(Azurite azurite) : IDisposable
{
    private const string Program = "program.integrity.json";
    private const string Lots = "2027-01-31=10;2027-02-28=20;2027-03-31=30;2027-04-30=40;2027-05-31=50";
    private const string Header = "memberId,firstName,phone,birthday,locale,timeZone,smsOptIn,openingBalance,lots,tier,enrolledAt";

    private readonly string folder = Directory.CreateTempSubdirectory("import-").FullName;
    private readonly FakeTimeProvider clock = new(A.Now);

    private static ProgramDefinition Rules { get; } = ProgramFile.Load(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", Program) })
        .Build());

    private MemberStore Store => MemberStore.Create(azurite.Tables, Rules, TestKeys.Phone, clock);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Import_OpensEachAccountAsTheOldSystemHeldIt_TakesBackWhatImportedPurchasesCredited_AndARerunImportsNothing()
    {
        var (ana, ben, carl) = (A.Id("ana"), A.Id("ben"), A.Id("carl"));
        var members = Write("members.csv",
            Header,
            $"{ana},Ana,+14255550100,1990-03-04,en,America/Los_Angeles,true,,2027-03-31=120;never=30,silver,2019-05-01",
            $"{ben},\"Ben, Jr.\",,--12-24,ru,Europe/Moscow,false,500,,,",
            $"{carl},Carl,,,,,,0,,,");
        var (p1, p2) = (A.Id("old"), A.Id("old"));
        var purchases = Write("purchases.jsonl",
            Purchase(p1, ben, 300m, "2026-08-01T10:00:00Z"),
            Purchase(p2, ben, 40m, "2026-10-01T10:00:00Z"));

        var run = await Import("--members", members, "--purchases", purchases);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("Imported 3 members; 0 already there; 0 rows rejected.", run.Out, StringComparison.Ordinal);

        var a = (await Store.GetAsync(MemberId.Parse(ana), default))!;
        Assert.Equal(150, a.Account.Balance.Value);
        Assert.Equal([new Lot(new DateOnly(2027, 3, 31), new Points(120)), new Lot(null, new Points(30))], a.Account.Lots);
        Assert.Equal(("silver", new DateOnly(2027, 12, 24)), (a.Account.Tier, a.Account.TierReviewOn));
        Assert.Equal(new DateTimeOffset(2019, 5, 1, 0, 0, 0, TimeSpan.Zero), a.Account.EnrolledAt);
        Assert.Equal(("+14255550100", "America/Los_Angeles", true), (a.Profile.Phone, a.Profile.TimeZone, a.Profile.SmsOptIn));
        Assert.True(await RowExists(Tables.Phones, TestKeys.Phone.Current("+14255550100"), ana), "the phone index is keyed as the app keys it");

        // Ben's purchases earned 340 points and a voucher under this program; the opening balance of 500 already holds
        // what the old system gave for them.
        var b = (await Store.GetAsync(MemberId.Parse(ben), default))!;
        Assert.Equal(500, b.Account.Balance.Value);
        Assert.Equal([new Lot(new DateOnly(2027, 11, 24), new Points(500))], b.Account.Lots);
        Assert.Equal(VoucherStatus.Void, Assert.Single(b.Account.Vouchers).Status);
        Assert.Equal((2, 340m), (b.Account.PurchaseCount, b.Account.Window(new DateOnly(2026, 11, 24), 12).Spend));
        Assert.Equal("Ben, Jr.", b.Profile.FirstName);
        var ledger = await LedgerAsync(ben);
        Assert.Equal(
            [(LedgerKind.Earn, 300L), (LedgerKind.Bonus, 0L), (LedgerKind.Earn, 40L), (LedgerKind.Adjust, -340L), (LedgerKind.Adjust, 500L)],
            ledger.Select(e => (e.Kind, e.Points.Value)));
        Assert.False(await RowExists(Tables.LastPurchase, "20261001", ben), "imported purchases start no win-back dormancy");

        var c = (await Store.GetAsync(MemberId.Parse(carl), default))!;
        Assert.Equal((0L, 0L), (c.Account.Balance.Value, c.Account.LastSeq));
        await AssertInvariants(ana, ben, carl);

        var again = await Import("--members", members, "--purchases", purchases);

        Assert.True(again.Exit == 0, again.ToString());
        Assert.Contains("Imported 0 members; 3 already there; 0 rows rejected.", again.Out, StringComparison.Ordinal);
        Assert.Equal(ledger.Count, (await LedgerAsync(ben)).Count);
        Assert.Equal(a.Account.LastSeq, (await Store.GetAsync(MemberId.Parse(ana), default))!.Account.LastSeq);
    }

    [Fact]
    public async Task Import_JsonLinesMembers_AreReadLikeTheCsv_AndLotsWhoseDayHasPassedExpireAtOnce()
    {
        var dana = A.Id("dana");
        var members = Write("members.jsonl",
            $$"""{"memberId":"{{dana}}","firstName":"Dana","smsOptIn":true,"phone":"+14255550109","lots":[{"expiresOn":"2026-11-01","points":20},{"expiresOn":"2027-01-31","points":80}]}""");

        var run = await Import("--members", members);

        Assert.True(run.Exit == 0, run.ToString());
        var d = (await Store.GetAsync(MemberId.Parse(dana), default))!;
        Assert.Equal([new Lot(new DateOnly(2027, 1, 31), new Points(80))], d.Account.Lots);
        Assert.Equal(
            [(LedgerKind.Adjust, 100L, "opening balance"), (LedgerKind.Expire, -20L, "lot 2026-11-01")],
            (await LedgerAsync(dana)).Select(e => (e.Kind, e.Points.Value, e.Note)));
        await AssertInvariants(dana);
    }

    [Fact]
    public async Task Import_StoppedPartWay_ARerunCompletesEveryMember_AndCreditsEachOnce()
    {
        var prefix = A.Id("stop");
        var rows = Enumerable.Range(0, 150).Select(i => $"{prefix}-{i:D3},Member {i},,,,,,,2027-01-31=10;2027-02-28=20;2027-03-31=30;2027-04-30=40;never={i + 1},,").ToList();
        var members = Write("members.csv", [Header, .. rows]);
        await azurite.Tables.CreateTableIfNotExistsAsync(Tables.Members);
        using var stop = new CancellationTokenSource();
        var first = Import(new CliOptions(Program, clock, stop.Token), "--members", members, "--parallel", "2");
        while (!first.IsCompleted && await CompleteAsync(prefix) < 10)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        var stopped = await first;
        var completeAfterStop = await CompleteAsync(prefix);

        Assert.True(stopped.Exit == 1, stopped.ToString());
        Assert.Contains("Cancelled.", stopped.Error, StringComparison.Ordinal);
        Assert.InRange(completeAfterStop, 10, 149);

        var rerun = await Import("--members", members, "--parallel", "8");

        Assert.True(rerun.Exit == 0, rerun.ToString());
        // A transaction sent before the stop may still land after the stopped run returned: the re-run finds at least
        // the members complete then, and imports every other one.
        var counts = System.Text.RegularExpressions.Regex.Match(rerun.Out, @"Imported (\d+) members?; (\d+) already there");
        Assert.True(counts.Success, rerun.ToString());
        var (imported, already) = (int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(150, imported + already);
        Assert.InRange(already, completeAfterStop, 149);
        for (var i = 0; i < 150; i++)
        {
            Assert.Equal(100 + i + 1, (await Store.GetAsync(MemberId.Parse($"{prefix}-{i:D3}"), default))!.Account.Balance.Value);
        }

        await AssertInvariants([.. Enumerable.Range(0, 150).Select(i => $"{prefix}-{i:D3}")]);
    }

    [Fact]
    public async Task Import_AMemberWithoutHistory_IsOneTransaction_TheHintsMembersShareAreWrittenTogether_AndARerunWritesNoMember()
    {
        var prefix = A.Id("count");
        var members = Write("members.csv", [Header, .. Enumerable.Range(0, 100).Select(i => $"{prefix}-{i:D3},Member {i},,,,,,,{Lots},,")]);
        await CreateTablesAsync();
        var requests = new RequestCounter();

        var run = await Import(new CliOptions(Program, clock, Requests: requests), "--members", members);
        var imported = requests.Count - Tables.All.Count; // the import first makes sure every table exists

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("Imported 100 members; 0 already there", run.Out, StringComparison.Ordinal);

        // 100 member transactions, one batch per lot-expiry day shared by all of them, one batch of pending-events hints.
        Assert.Equal(100 + 5 + 1, imported);
        for (var i = 0; i < 100; i += 9)
        {
            var member = $"{prefix}-{i:D3}";
            Assert.Equal(150, (await Store.GetAsync(MemberId.Parse(member), default))!.Account.Balance.Value);
            Assert.True(await RowExists(Tables.LotExpiry, "20270430", member), "every lot's day has its expiry hint");
            Assert.True(await RowExists(Tables.EventsPending, "pending", member), "the member's events are found by the sweep");
        }

        await AssertInvariants([.. Enumerable.Range(0, 100).Select(i => $"{prefix}-{i:D3}")]);

        requests.Reset();
        var rerun = await Import(new CliOptions(Program, clock, Requests: requests), "--members", members);

        Assert.True(rerun.Exit == 0, rerun.ToString());
        Assert.Contains("Imported 0 members; 100 already there", rerun.Out, StringComparison.Ordinal);

        // Each member's transaction finds the member row; then the member's import operation is read.
        Assert.Equal(100 * 2 + 5 + 1, requests.Count - Tables.All.Count);
    }

    [Fact]
    public async Task Import_AMemberEnrolledMeanwhileWithAnotherPhone_IsReported_AndThePhoneHintTheImportWroteIsDeletedAgain()
    {
        var fay = A.Id("fay");
        var id = MemberId.Parse(fay);
        await CreateTablesAsync();
        await Store.SaveProfileAsync(id, new MemberProfile { FirstName = "Fay", Phone = "+14255550177" }, default);
        var members = Write("members.csv", Header, $"{fay},Fay,+14255550188,,,,,40,,,");

        var run = await Import("--members", members);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("2 memberId: Is enrolled already, with another profile", run.Error, StringComparison.Ordinal);
        Assert.False(await RowExists(Tables.Phones, TestKeys.Phone.Current("+14255550188"), fay), "no hint leads from the file's phone to a member who does not have it");
        Assert.True(await RowExists(Tables.Phones, TestKeys.Phone.Current("+14255550177"), fay), "the member's own phone hint stays");
        Assert.Equal(("+14255550177", 0L), ((await Store.GetAsync(id, default))!.Profile.Phone, (await Store.GetAsync(id, default))!.Account.Balance.Value));
    }

    [Fact]
    public async Task Import_StoppedAfterTheHistoryBeforeTheAccount_IsCompleted_AndTheHistorysPointsAreTakenBackOnce()
    {
        var eve = A.Id("eve");
        var purchaseId = A.Id("old");
        var members = Write("members.csv", Header, $"{eve},Eve,,,,,,250,,,");
        var purchases = Write("purchases.jsonl", Purchase(purchaseId, eve, 120m, "2026-11-01T09:00:00Z"));

        // What a run that stopped after Eve's purchase leaves: her profile and the purchase, no account yet.
        var id = MemberId.Parse(eve);
        await Store.SaveProfileAsync(id, new MemberProfile { FirstName = "Eve" }, default);
        var purchase = new Purchase(OperationId.Parse(purchaseId), id, new Money(120m, Currency.Parse("USD")), DateTimeOffset.Parse("2026-11-01T09:00:00Z", CultureInfo.InvariantCulture), null, []);
        Assert.Equal(OperationStatus.Created, (await Store.RunAsync(new RecordPurchase(purchase), default)).Status);

        var run = await Import("--members", members, "--purchases", purchases);

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("Imported 1 member;", run.Out, StringComparison.Ordinal);
        Assert.Equal(250, (await Store.GetAsync(id, default))!.Account.Balance.Value);
        Assert.Equal([120L, -120L, 250L], (await LedgerAsync(eve)).Select(e => e.Points.Value));
        await AssertInvariants(eve);
    }

    [Fact]
    public async Task Import_RejectedRows_AreReportedByLineAndField_WithoutPersonalData_TheOthersImported_Exit2()
    {
        var (good, phone, absurd, huge, dup, tier, lots, withBadPurchase) =
            (A.Id("good"), A.Id("phone"), A.Id("absurd"), A.Id("huge"), A.Id("dup"), A.Id("tier"), A.Id("lots"), A.Id("buyer"));
        var members = Write("members.csv",
            Header,
            $"{good},Gus,,,,,,10,,,",
            $"{phone},Zed,555-NOT-A-NUMBER,2999-01-01,,,maybe,10,,,",
            $"{absurd},Al,,,,,,1000000000000,,,",
            $"{huge},Hu,,,,,,99999999999999999999999,,,",
            $"{dup},Di,,,,,,10,,,",
            $"{tier},Ti,,,,,,10,,platinum,",
            $"{lots},Lo,,,,,,15,2027-01-01=10;2027-01-01=5,,",
            $"{dup},Di,,,,,,20,,,",
            $"{withBadPurchase},Bo,,,,,,30,,,",
            "not an id!,Na,,,,,,0,,,");
        var purchases = Write("purchases.jsonl",
            Purchase(A.Id("ok"), withBadPurchase, 10m, "2026-10-01T10:00:00Z"),
            Purchase(A.Id("neg"), withBadPurchase, -5m, "2026-10-02T10:00:00Z"),
            "{not json");
        var report = Path.Combine(folder, "report.txt");

        var run = await Import("--members", members, "--purchases", purchases, "--report", report);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("Imported 1 member;", run.Out, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(report);
        Assert.Collection(
            lines,
            l => Assert.StartsWith("3 smsOptIn: Must be true or false; phone: Must be a valid international phone number", l, StringComparison.Ordinal),
            l => Assert.StartsWith("4 openingBalance: Must be at most 100000000", l, StringComparison.Ordinal),
            l => Assert.StartsWith("5 openingBalance: Must be a whole number", l, StringComparison.Ordinal),
            l => Assert.StartsWith("6 memberId: The same member is also on line 9", l, StringComparison.Ordinal),
            l => Assert.StartsWith("7 tier: Must be a tier of the program: member, silver, gold", l, StringComparison.Ordinal),
            l => Assert.StartsWith("8 lots: Lot 2: another lot expires on the same day", l, StringComparison.Ordinal),
            l => Assert.StartsWith("9 memberId: The same member is also on line 6", l, StringComparison.Ordinal),
            l => Assert.StartsWith("10 purchases: The purchases file rejects line 2", l, StringComparison.Ordinal),
            l => Assert.StartsWith("11 memberId: Must be 1 to 64 characters", l, StringComparison.Ordinal),
            l => Assert.StartsWith("1 purchases.memberId: The member's purchase on line 2 is rejected", l, StringComparison.Ordinal),
            l => Assert.StartsWith("2 purchases.amount: Must be greater than zero", l, StringComparison.Ordinal),
            l => Assert.StartsWith("3 purchases.body: ", l, StringComparison.Ordinal));
        Assert.Contains("birthday: Must not be after today", lines[0], StringComparison.Ordinal);
        var text = string.Join('\n', lines);
        Assert.DoesNotContain("Zed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT-A-NUMBER", text, StringComparison.Ordinal);
        Assert.DoesNotContain(phone, text, StringComparison.Ordinal);

        Assert.Equal(10, (await Store.GetAsync(MemberId.Parse(good), default))!.Account.Balance.Value);
        foreach (var rejected in new[] { phone, absurd, huge, dup, tier, lots, withBadPurchase })
        {
            Assert.Null(await Store.GetAsync(MemberId.Parse(rejected), default));
        }
    }

    [Fact]
    public async Task Import_MembersEnrolledThroughTheApi_AreReportedAndNeverWrittenOver()
    {
        var (other, same) = (A.Id("other"), A.Id("same"));
        await CreateTablesAsync();
        foreach (var (id, name) in new[] { (other, "Someone Else"), (same, "Sam") })
        {
            var member = MemberId.Parse(id);
            await Store.SaveProfileAsync(member, new MemberProfile { FirstName = name }, default);
            await Store.RunAsync(new AdjustPoints(OperationId.Parse(A.Id("goodwill")), member, new Points(70), "goodwill"), default);
        }

        var members = Write("members.csv", Header, $"{other},Olga,,,,,,500,,,", $"{same},Sam,,,,,,500,,,");

        var run = await Import("--members", members);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("2 memberId: Is enrolled already, with another profile", run.Error, StringComparison.Ordinal);
        Assert.Contains("3 memberId: Is enrolled already and has points or history this import did not write", run.Error, StringComparison.Ordinal);
        Assert.Equal((70L, 70L), ((await Store.GetAsync(MemberId.Parse(other), default))!.Account.Balance.Value, (await Store.GetAsync(MemberId.Parse(same), default))!.Account.Balance.Value));
        Assert.Equal("Someone Else", (await Store.GetAsync(MemberId.Parse(other), default))!.Profile.FirstName);
    }

    [Fact]
    public async Task Import_RerunWithOtherContentForAnImportedMember_IsReported_AndChangesNothing()
    {
        var fay = A.Id("fay");
        Assert.Equal(0, (await Import("--members", Write("members.csv", Header, $"{fay},Fay,,,,,,100,,,"))).Exit);

        var run = await Import("--members", Write("changed.csv", Header, $"{fay},Fay,,,,,,100000,,,"));

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("2 memberId: Was imported before with other content", run.Error, StringComparison.Ordinal);
        Assert.Equal(100, (await Store.GetAsync(MemberId.Parse(fay), default))!.Account.Balance.Value);
    }

    [Fact]
    public async Task Import_AFileItCannotRead_FailsWithExit1NamingTheFault()
    {
        var unknown = await Import("--members", Write("members.csv", "memberId,firstName,phnoe,openingBalance", "x,X,,0"));
        var missing = await Import("--members", Path.Combine(folder, "nowhere.csv"));

        Assert.True(unknown.Exit == 1, unknown.ToString());
        Assert.Contains("unknown column 'phnoe'", unknown.Error, StringComparison.Ordinal);
        Assert.True(missing.Exit == 1, missing.ToString());
        Assert.Contains("nowhere.csv", missing.Error, StringComparison.Ordinal);
    }

    private Task<CliRun> Import(params string[] args) => Import(new CliOptions(Program, clock), args);

    private Task<CliRun> Import(CliOptions options, params string[] args) => Cli.RunAsync(azurite.ConnectionString, null, options, ["import", .. args]);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Purchase(string id, string member, decimal amount, string at) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":{{amount}},"currency":"USD","occurredAt":"{{at}}"}""");

    private async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string member) => (await Store.ReadPartitionAsync(MemberId.Parse(member), default))!.Ledger;

    private Task CreateTablesAsync() => Task.WhenAll(Tables.All.Select(t => azurite.Tables.CreateTableIfNotExistsAsync(t)));

    private async Task<bool> RowExists(string table, string partition, string row) =>
        (await azurite.Tables.GetTableClient(table).GetEntityIfExistsAsync<TableEntity>(partition, row)).HasValue;

    // Members whose import is complete: their ImportAccount operation row exists.
    private async Task<int> CompleteAsync(string prefix)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"} and RowKey ge {"op|import|"} and RowKey lt {"op|import}"}");
        var count = 0;
        await foreach (var _ in azurite.Tables.GetTableClient(Tables.Members).QueryAsync<TableEntity>(filter, select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }

    private async Task AssertInvariants(params string[] members)
    {
        foreach (var member in members)
        {
            var partition = (await Store.ReadPartitionAsync(MemberId.Parse(member), default))!;
            Assert.Empty(Invariants.Check(Rules.Points, partition.Member.Account, partition.Ledger, partition.Operations.Select(o => (o.Operation.Key.ToString(), o.Operation.Entries))));
        }
    }
}
