using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Loyalty.Functions.Members;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Infrastructure;

/// <summary>An app running Fixtures/program.rewards.json (tiers, rewards, limited stock) with the clock at
/// <see cref="A.Now"/>. Its limited rewards get ids of their own (<see cref="Limited"/>), so their stock is never shared
/// with another app. Use it as a class fixture, or start one per test when a test moves the clock.</summary>
public sealed class RewardsFixture(Azurite azurite) : IAsyncLifetime
{
    private readonly string run = Guid.NewGuid().ToString("N")[..10];
    private readonly string programPath = Path.Combine(Path.GetTempPath(), $"program.rewards.{Guid.NewGuid():N}.json");
    private LoyaltyApp? app;

    public FakeTimeProvider Time { get; } = new(A.Now);

    public LoyaltyApp App => app!;

    public HttpClient Client { get; private set; } = null!;

    public TableServiceClient Tables => azurite.Tables;

    public TableClient RewardsTable => azurite.Tables.GetTableClient(Adapters.Storage.Tables.Rewards);

    /// <summary>The id of a limited reward of this app: mug (stock 3, 10 points), tote (stock 1, 50), poster (stock 5, 20).</summary>
    public string Limited(string name) => $"{name}-{run}";

    public async ValueTask InitializeAsync()
    {
        var template = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.rewards.json"));
        await File.WriteAllTextAsync(programPath, template.Replace("{run}", run, StringComparison.Ordinal));
        app = new LoyaltyApp(azurite, Time, new Dictionary<string, string?> { ["LOYALTY_PROGRAM_FILE"] = programPath });
        Client = await app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        File.Delete(programPath);
    }

    public async Task<string> EnrollAsync(MemberJson? member = null)
    {
        var id = A.Id("m");
        using var response = await Client.PutJsonAsync($"/api/members/{id}", (member ?? A.Member()).ToJson());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    /// <summary>Records a purchase worth <paramref name="points"/> points (1 point per USD), at <paramref name="occurredAt"/>
    /// (default an hour ago): its points expire 12 months after that day.</summary>
    public async Task EarnAsync(string memberId, decimal points, DateTimeOffset? occurredAt = null)
    {
        var purchase = A.Purchase(memberId).WithAmount(points) with
        {
            OccurredAt = (occurredAt ?? A.Now.AddHours(-1)).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture),
        };
        using var response = await Client.PostJsonAsync("/api/purchases", purchase.ToJson());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public Task<HttpResponseMessage> RedeemAsync(string memberId, string rewardId, string? redemptionId = null) =>
        Client.PostJsonAsync($"/api/members/{memberId}/redemptions", $$"""{"redemptionId":"{{redemptionId ?? A.Id("r")}}","rewardId":"{{rewardId}}"}""");

    public Task<HttpResponseMessage> CancelAsync(string memberId, string redemptionId) =>
        Client.PostAsync($"/api/members/{memberId}/redemptions/{redemptionId}/cancel", null);

    public async Task<MemberResponse> GetMemberAsync(string memberId)
    {
        using var response = await Client.GetAsync($"/api/members/{memberId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<MemberResponse>();
    }

    public async Task<LedgerPage> GetLedgerAsync(string memberId)
    {
        using var response = await Client.GetAsync($"/api/members/{memberId}/ledger?limit=200");
        return await response.ReadAsync<LedgerPage>();
    }

    /// <summary>The member's reservation rows of a limited reward.</summary>
    public async Task<IReadOnlyList<TableEntity>> ReservationsAsync(string rewardId, string memberId)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {rewardId} and RowKey gt {$"r|{memberId}|"} and RowKey lt {$"r|{memberId}}}"}");
        var rows = new List<TableEntity>();
        await foreach (var row in RewardsTable.QueryAsync<TableEntity>(filter))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The units of a limited reward held, as its stock row says (0 before the first reservation).</summary>
    public async Task<int> TakenAsync(string rewardId)
    {
        var row = await RewardsTable.GetEntityIfExistsAsync<TableEntity>(rewardId, "stock");
        return row.HasValue ? row.Value!.GetInt32("Taken") ?? 0 : 0;
    }
}
