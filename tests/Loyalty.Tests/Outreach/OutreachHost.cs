using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Outreach;
using Loyalty.Functions.Standalone;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Outreach;

/// <summary>The app on a private Azurite (emptied first: planners read whole index partitions), on a fake clock, sending
/// SMS to a <see cref="FakeAcs"/> that checks the HMAC signature against that clock. Tests drive the queue trigger
/// themselves: <see cref="DeliverDueAsync"/> hands every visible send job to <c>SendOutreach</c> as the Functions host
/// would, and <see cref="SendAsync"/> hands one job over directly (a job the queue would deliver later).</summary>
public sealed class OutreachHost : IAsyncDisposable
{
    private OutreachHost(Azurite azurite, LoyaltyApp app, HttpClient client, FakeAcs acs)
    {
        Azurite = azurite;
        App = app;
        Client = client;
        Acs = acs;
    }

    public Azurite Azurite { get; }

    public LoyaltyApp App { get; }

    public HttpClient Client { get; }

    public FakeAcs Acs { get; }

    public FakeTimeProvider Clock => App.Time!;

    public OutreachPlanner Planner => App.Service<OutreachPlanner>();

    public QueueClient Queue => Azurite.Queues.GetQueueClient(OutreachQueue.Name);

    /// <summary>Starts the app at <paramref name="now"/>. <paramref name="reset"/> empties the storage first.</summary>
    public static async Task<OutreachHost> StartAsync(
        Azurite azurite,
        DateTimeOffset now,
        IReadOnlyDictionary<string, string?>? settings = null,
        string programFile = "program.plain.json",
        Action<IServiceCollection>? services = null,
        bool reset = true)
    {
        if (reset)
        {
            await ResetAsync(azurite);
        }

        var acs = await FakeAcs.StartAsync();
        var clock = new FakeTimeProvider(now);
        acs.Clock = clock;
        var all = SmsHost.SettingsFor(acs, ("Sms:Resilience:MaxRetries", "0"));
        all["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", programFile);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = new LoyaltyApp(azurite, clock, all, services);
        var client = await app.StartAsync();
        return new OutreachHost(azurite, app, client, acs);
    }

    /// <summary>Deletes every table and the outreach queues (the app creates the tables again as it starts).</summary>
    public static async Task ResetAsync(Azurite azurite)
    {
        var tables = azurite.Tables;
        foreach (var table in Tables.All)
        {
            await tables.DeleteTableAsync(table);
        }

        foreach (var queue in new[] { OutreachQueue.Name, OutreachQueue.Name + "-poison" })
        {
            await azurite.Queues.GetQueueClient(queue).DeleteIfExistsAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Acs.DisposeAsync();
    }

    /// <summary>Enrolls a member (opted in, with a unique phone unless given) and returns the id.</summary>
    public async Task<string> EnrollAsync(MemberJson member, string? id = null)
    {
        id ??= A.Id("m");
        using var response = await Client.PutJsonAsync($"/api/members/{id}", member.ToJson());
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return id;
    }

    public static MemberJson Member(string timeZone = "UTC", string? birthday = null, string locale = "en", string firstName = "Alice") => A.Member() with
    {
        FirstName = firstName,
        Phone = UniquePhone(),
        Birthday = birthday,
        Locale = locale,
        TimeZone = timeZone,
        SmsOptIn = true,
    };

    /// <summary>A random Redmond-area number: members of one test never share one.</summary>
    public static string UniquePhone() => "+1425" + Random.Shared.Next(2_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture);

    public async Task BuyAsync(string memberId, DateTimeOffset occurredAt, decimal amount = 100m)
    {
        var purchase = A.Purchase(memberId).WithAmount(amount) with { OccurredAt = occurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) };
        using var response = await Client.PostJsonAsync("/api/purchases", purchase.ToJson());
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The member's outreach history through the API.</summary>
    public async Task<List<OutreachMessage>> MessagesAsync(string memberId)
    {
        using var response = await Client.GetAsync($"/api/members/{memberId}/messages");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<OutreachMessage>>(JsonSerializerOptions.Web))!;
    }

    public async Task<OutboxRow> RowAsync(string memberId, Campaign campaign, string period) =>
        await App.Service<Outbox>().GetAsync(new OutboxKey(MemberId.Parse(memberId), campaign, period), CancellationToken.None)
            ?? throw new InvalidOperationException($"No outbox row {campaign.Name()} {period} for {memberId}.");

    /// <summary>Invokes <c>SendOutreach</c> with the job for one outbox row, as the queue trigger would.</summary>
    public async Task<HttpStatusCode> SendAsync(string memberId, Campaign campaign, string period, CancellationToken ct = default)
    {
        var job = JsonSerializer.Serialize(new OutreachJob(memberId, campaign.Name(), period), JsonSerializerOptions.Web);
        return await InvokeAsync(job, ct);
    }

    /// <summary>Hands every send job visible on the queue now to <c>SendOutreach</c>, deleting those it completes, until
    /// none is visible; the jobs it handled.</summary>
    public async Task<List<OutreachJob>> DeliverDueAsync()
    {
        var handled = new List<OutreachJob>();
        await Queue.CreateIfNotExistsAsync();
        while (true)
        {
            QueueMessage[] batch = (await Queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (batch.Length == 0)
            {
                return handled;
            }

            foreach (var message in batch)
            {
                handled.Add(JsonSerializer.Deserialize<OutreachJob>(message.Body.ToString(), JsonSerializerOptions.Web)!);
                if ((int)await InvokeAsync(message.Body.ToString()) < 300)
                {
                    await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
            }
        }
    }

    /// <summary>The jobs on the queue: all of them (visible or not), and those visible now.</summary>
    public async Task<(int All, int Visible)> QueuedAsync()
    {
        await Queue.CreateIfNotExistsAsync();
        var all = (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var visible = (await Queue.PeekMessagesAsync(32)).Value.Length;
        return (all, visible);
    }

    private async Task<HttpStatusCode> InvokeAsync(string text, CancellationToken ct = default)
    {
        var body = HostPayloads.Queue(
            OutreachFunctions.SendOutreach,
            OutreachFunctions.MessageBinding,
            new QueueMessageInfo(Guid.NewGuid().ToString(), "pop", text, 1, Clock.GetUtcNow(), null, null),
            Clock.GetUtcNow());
        using var response = await Client.PostAsync(
            "/" + OutreachFunctions.SendOutreach, new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
        return response.StatusCode;
    }
}
