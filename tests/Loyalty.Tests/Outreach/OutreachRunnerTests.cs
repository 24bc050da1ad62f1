using System.Globalization;
using System.Net;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;

namespace Loyalty.Tests.Outreach;

/// <summary>The outreach functions as the Functions host or the standalone runner call them: the timer invocation
/// protocol, and a planner run from the admin endpoint whose send job the runner takes off the real queue.</summary>
public sealed class OutreachRunnerTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Theory]
    [InlineData(OutreachFunctions.BirthdayGreetings)]
    [InlineData(OutreachFunctions.ExpiryWarnings)]
    [InlineData(OutreachFunctions.WinBack)]
    public async Task Planners_AnswerTheTimerInvocationWithTheProtocolResponse(string function)
    {
        await using var host = await OutreachHost.StartAsync(azurite, A.Now);

        using var response = await host.Client.PostJsonAsync($"/{function}", Fixtures.Load("Functions/timer.json").ToJsonString());

        var logs = await response.ReadInvocationResultAsync(HttpStatusCode.OK);
        Assert.StartsWith($"{function} for 2026-11-24: looked at 0 members, planned 0", logs[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Standalone_AdminRunOfBirthdayGreetings_PlansAndTheRunnerSendsFromTheOutreachQueue()
    {
        await OutreachHost.ResetAsync(azurite);
        await using var acs = await FakeAcs.StartAsync();
        using var folder = FunctionAppFolder.Create()
            .WithFunction(OutreachFunctions.BirthdayGreetings)
            .WithFunction(OutreachFunctions.SendOutreach);
        var settings = SmsHost.SettingsFor(acs);
        settings["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.anytime.json");
        await using var app = new StandaloneApp(azurite, folder, settings: settings);
        var client = await app.StartAsync();
        var today = TimeProvider.System.GetUtcNow();
        var member = OutreachHost.Member("UTC", today.ToString("--MM-dd", CultureInfo.InvariantCulture));
        var id = A.Id("m");
        using (var enrolled = await client.PutJsonAsync($"/api/members/{id}", member.ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        using var run = await client.PostJsonAsync($"/admin/functions/{OutreachFunctions.BirthdayGreetings}", """{ "input": "" }""");

        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        await Eventually.TrueAsync(() => acs.Sent.Count == 1, "the greeting is sent", TimeSpan.FromSeconds(30));
        var outbox = (Outbox)app.Services.GetService(typeof(Outbox))!;
        await Eventually.TrueAsync(
            async () => (await outbox.GetAsync(new OutboxKey(MemberId.Parse(id), Campaign.Birthday, today.Year.ToString(CultureInfo.InvariantCulture)), default))?.Status == MessageStatus.Sent,
            "the outbox row says sent");
        var sms = Assert.Single(acs.Sent);
        Assert.Equal(member.Phone, sms.To);
        Assert.StartsWith("Happy birthday, Alice!", sms.Message, StringComparison.Ordinal);
        Assert.Equal(0, acs.Unauthorized);
        Assert.Equal($"{id}|birthday|{today.Year}", Assert.Single(acs.Received).Tag);
        var queue = azurite.Queues.GetQueueClient(OutreachQueue.Name);
        await Eventually.TrueAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the job is gone from the queue");
        Assert.False((await azurite.Queues.GetQueueClient(OutreachQueue.Name + "-poison").ExistsAsync()).Value);
    }
}
