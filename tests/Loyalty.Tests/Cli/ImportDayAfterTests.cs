using System.Globalization;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Outreach;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Cli;

/// <summary>What the nightly jobs do after an import, on a private Azurite (they read whole indexes): imported lots warn
/// and expire like any others, and imported purchase history starts no win-back.</summary>
public sealed class ImportDayAfterTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>, IDisposable
{
    /// <summary>The import runs the afternoon before the planners' night (02:00 UTC on 2026-11-24).</summary>
    private static readonly DateTimeOffset ImportedAt = new(2026, 11, 23, 15, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private readonly string folder = Directory.CreateTempSubdirectory("import-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task TheNightAfterAnImport_ImportedLotsWarnAndExpire_ButImportedHistoryStartsNoWinBack()
    {
        await OutreachHost.ResetAsync(azurite);
        var imported = Enumerable.Range(0, 30).Select(i => A.Id($"imp{i}")).ToList();
        var members = Path.Combine(folder, "members.csv");
        var purchases = Path.Combine(folder, "purchases.jsonl");
        await File.WriteAllLinesAsync(members, [
            "memberId,firstName,phone,smsOptIn,openingBalance,lots",
            .. imported.Select(id => $"{id},Ana,{OutreachHost.UniquePhone()},true,,2026-12-04=100;2026-11-20=20;2027-06-30=50")]);

        // Each was last seen 100 days before the import: a win-back candidate, had they bought here.
        await File.WriteAllLinesAsync(purchases, imported.Select(id => string.Create(CultureInfo.InvariantCulture,
            $$"""{"purchaseId":"{{A.Id("old")}}","memberId":"{{id}}","amount":30,"currency":"USD","occurredAt":"2026-08-15T10:00:00Z"}""")));

        var run = await Cli.RunAsync(azurite.ConnectionString, null, new CliOptions(Time: new FakeTimeProvider(ImportedAt)), "import", "--members", members, "--purchases", purchases);

        Assert.True(run.Exit == 0, run.ToString());
        await using var host = await OutreachHost.StartAsync(azurite, Night, reset: false);
        var local = await host.EnrollAsync(OutreachHost.Member());
        await host.BuyAsync(local, Night.AddDays(-100));

        var winBack = await host.Planner.WinBackAsync(CancellationToken.None);
        var warnings = await host.Planner.ExpiryWarningsAsync(CancellationToken.None);

        Assert.Equal((1, 1), (winBack.Looked, winBack.Planned));
        Assert.Equal("winback-at-risk", Assert.Single(await host.MessagesAsync(local)).Campaign);
        Assert.Equal(30, warnings.Planned);
        foreach (var id in imported.Take(3))
        {
            var message = Assert.Single(await host.MessagesAsync(id));
            Assert.Equal(("expiry-warning", "2026-12-04", "planned"), (message.Campaign, message.Period, message.Status));
            Assert.Equal(100 + 50, await host.Client.BalanceAsync(id));
        }

        host.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 4, 1, 15, 0, TimeSpan.Zero));
        using var expiry = await host.Client.PostJsonAsync("/ExpirePoints", Fixtures.Load("Functions/timer.json").ToJsonString());

        Assert.Contains("looked at 30 members, changed 30, failed 0", (await expiry.ReadInvocationResultAsync(System.Net.HttpStatusCode.OK))[0], StringComparison.Ordinal);
        Assert.Equal(50, await host.Client.BalanceAsync(imported[0]));
    }
}
