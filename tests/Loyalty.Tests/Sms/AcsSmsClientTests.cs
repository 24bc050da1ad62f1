using System.Diagnostics;
using System.Globalization;
using Loyalty.Adapters.Sms;
using Microsoft.Extensions.Options;

namespace Loyalty.Tests.Sms;

public sealed class AcsSmsClientTests
{
    private const string Phone = "+14255550123";

    private static SmsMessage Message(string body = "Happy birthday, Anna! Reply STOP to opt out", string to = Phone) => new()
    {
        To = to,
        Body = body,
        Repeatability = SmsRepeatability.Create(TimeProvider.System),
        Tag = "birthday:2026:m-1",
    };

    private static void AssertSameRepeatability(SmsMessage message, IReadOnlyList<ReceivedSms> received)
    {
        Assert.All(received, r =>
        {
            Assert.Equal(message.Repeatability.RequestId.ToString("D"), r.RequestId);
            Assert.Equal(message.Repeatability.FirstSentRfc1123, r.FirstSent);
        });
    }

    [Fact]
    public async Task Send_AcsAccepts_PostsTheDocumentedSignedRequestAndReturnsTheMessageId()
    {
        await using var fake = await FakeAcs.StartAsync();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));
        var message = Message();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        var sent = Assert.Single(fake.Sent);
        Assert.Equal(new SmsSendResult.Accepted(sent.MessageId), result);
        var received = Assert.Single(fake.Received);
        Assert.Equal("/sms?api-version=2021-03-07", received.Target);
        Assert.Equal("+18005550100", received.From);
        Assert.Equal(Phone, received.To);
        Assert.Equal(message.Body, received.Message);
        Assert.Equal(message.Repeatability.RequestId.ToString("D"), received.RequestId);
        Assert.Equal(message.Repeatability.FirstSent, DateTimeOffset.ParseExact(received.FirstSent, "r", CultureInfo.InvariantCulture));
        Assert.True(received.EnableDeliveryReport);
        Assert.Equal("birthday:2026:m-1", received.Tag);
        Assert.Equal(0, fake.Unauthorized);
    }

    [Fact]
    public async Task Send_SameMessageAgainLater_IsNotSentTwice()
    {
        await using var fake = await FakeAcs.StartAsync();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));
        var message = Message();

        var first = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);
        var again = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        Assert.IsType<SmsSendResult.Accepted>(first);
        Assert.Equal(first, again);
        Assert.Equal(2, fake.Received.Count);
        Assert.Single(fake.Sent);
    }

    [Fact]
    public async Task Send_429WithRetryAfter_WaitsAndRetriesWithSameRepeatabilityId()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = r => r.Attempt == 1 ? FakeReply.Error(429, "Retry-After", "1") : FakeReply.Accept();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));
        var message = Message();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(new SmsSendResult.Accepted(Assert.Single(fake.Sent).MessageId), result);
        var received = fake.Received;
        Assert.Equal(2, received.Count);
        AssertSameRepeatability(message, received);
        // The back-off configured for tests is 10 ms; only Retry-After explains a second's wait.
        Assert.True(Stopwatch.GetElapsedTime(received[0].Timestamp, received[1].Timestamp) >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task Send_503WithRetryAfterMs_WaitsThatLongAndRetries()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = r => r.Attempt == 1 ? FakeReply.Error(503, "retry-after-ms", "400") : FakeReply.Accept();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));
        var message = Message();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        Assert.IsType<SmsSendResult.Accepted>(result);
        var received = fake.Received;
        Assert.Equal(2, received.Count);
        AssertSameRepeatability(message, received);
        Assert.True(Stopwatch.GetElapsedTime(received[0].Timestamp, received[1].Timestamp) >= TimeSpan.FromMilliseconds(380));
    }

    [Fact]
    public async Task Send_RetryAfterLongerThanAllowed_FailsAtOnceCarryingIt()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = _ => FakeReply.Error(429, "Retry-After", "120");
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake, ("Sms:Resilience:MaxRetryAfter", "00:00:05")));

        var result = await host.Client.SendAsync(Message(), TestContext.Current.CancellationToken);

        var failed = Assert.IsType<SmsSendResult.Failed>(result);
        Assert.Equal(429, failed.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), failed.RetryAfter);
        Assert.Single(fake.Received);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task Send_5xxStorm_OpensTheCircuitAndStopsCallingAcs()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = _ => FakeReply.Error(500);
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(
            fake,
            ("Sms:Resilience:MaxRetries", "3"),
            ("Sms:Resilience:MinimumThroughput", "4"),
            ("Sms:Resilience:FailureRatio", "0.5"),
            ("Sms:Resilience:BreakDuration", "00:00:30")));
        var first = Message(to: "+14255550101");
        var second = Message(to: "+14255550102");
        var third = Message(to: "+14255550103");

        var firstResult = await host.Client.SendAsync(first, TestContext.Current.CancellationToken);
        var secondResult = await host.Client.SendAsync(second, TestContext.Current.CancellationToken);
        var thirdResult = await host.Client.SendAsync(third, TestContext.Current.CancellationToken);

        Assert.Equal(500, Assert.IsType<SmsSendResult.Failed>(firstResult).StatusCode);
        var broken = Assert.IsType<SmsSendResult.Failed>(secondResult);
        Assert.Null(broken.StatusCode);
        Assert.Contains("circuit is open", broken.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(30), broken.RetryAfter);
        Assert.IsType<SmsSendResult.Failed>(thirdResult);

        // Four attempts of the first message (one try, three retries), then nothing reached ACS.
        var received = fake.Received;
        Assert.Equal(4, received.Count);
        AssertSameRepeatability(first, received);
        Assert.Empty(fake.Sent);
    }

    [Theory]
    [InlineData(400, "Invalid To phone number format.")]
    [InlineData(403, "The recipient has opted out.")]
    public async Task Send_PerRecipientFailureInside202_IsRejectedAndNotRetried(int status, string error)
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = _ => FakeReply.RecipientFailure(status, error);
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));

        var result = await host.Client.SendAsync(Message(), TestContext.Current.CancellationToken);

        Assert.Equal(new SmsSendResult.Rejected(status, error), result);
        Assert.Single(fake.Received);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task Send_Repeatability412Inside202_IsUnconfirmed()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = _ => FakeReply.RecipientFailure(412, "Repeatability-First-Sent is outside the tracked window.");
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));

        var result = await host.Client.SendAsync(Message(), TestContext.Current.CancellationToken);

        Assert.IsType<SmsSendResult.Unconfirmed>(result);
        Assert.Single(fake.Received);
    }

    [Fact]
    public async Task Send_AttemptTimesOutAfterAcsProcessedIt_RetryGetsTheSameMessageAndNothingIsSentTwice()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = r => r.Attempt == 1 ? FakeReply.Accept(answerAfter: TimeSpan.FromSeconds(10)) : FakeReply.Accept();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake, ("Sms:Resilience:AttemptTimeout", "00:00:00.300")));
        var message = Message();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        var sent = Assert.Single(fake.Sent);
        Assert.Equal(new SmsSendResult.Accepted(sent.MessageId), result);
        var received = fake.Received;
        Assert.Equal(2, received.Count);
        AssertSameRepeatability(message, received);
    }

    [Fact]
    public async Task Send_AcsNeverAnswers_FailsWhenTheTotalTimeoutEnds()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = _ => FakeReply.Hang(TimeSpan.FromSeconds(30));
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(
            fake,
            ("Sms:Resilience:AttemptTimeout", "00:00:00.200"),
            ("Sms:Resilience:TotalTimeout", "00:00:01"),
            ("Sms:Resilience:MaxRetries", "10")));
        var message = Message();
        var started = Stopwatch.GetTimestamp();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(new SmsSendResult.Failed(null, "ACS did not answer in time", null), result);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        var received = fake.Received;
        Assert.InRange(received.Count, 2, 6);
        AssertSameRepeatability(message, received);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task Send_WrongAccessKey_IsRefusedByTheFakeAndNothingIsSent()
    {
        await using var fake = await FakeAcs.StartAsync();
        var wrongKey = Convert.ToBase64String(new byte[32]);
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(
            fake, (AcsSmsOptions.ConnectionStringSetting, $"endpoint={fake.Endpoint};accesskey={wrongKey}")));

        var result = await host.Client.SendAsync(Message(), TestContext.Current.CancellationToken);

        var failed = Assert.IsType<SmsSendResult.Failed>(result);
        Assert.Equal(401, failed.StatusCode);
        Assert.Contains(AcsSmsOptions.ConnectionStringSetting, failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, fake.Unauthorized);
        Assert.Empty(fake.Received);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task Send_DryRun_ReturnsASyntheticIdWithoutCallingAcs()
    {
        await using var fake = await FakeAcs.StartAsync();
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake, (AcsSmsOptions.DryRunSetting, "true")));
        var message = Message();

        var result = await host.Client.SendAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(new SmsSendResult.DryRun($"dry-run-{message.Repeatability.RequestId:N}"), result);
        Assert.Empty(fake.Received);
        Assert.Equal(0, fake.Unauthorized);
    }

    [Fact]
    public async Task Send_DryRunWithoutAcsSettings_Works()
    {
        await using var host = await SmsHost.StartAsync(new Dictionary<string, string?> { ["Outreach:DryRun"] = "true" });

        var result = await host.Client.SendAsync(Message(), TestContext.Current.CancellationToken);

        Assert.IsType<SmsSendResult.DryRun>(result);
    }

    [Fact]
    public async Task Start_WithoutAcsSettings_StartsAndASendFailsNamingThem()
    {
        await using var host = await SmsHost.StartAsync(new Dictionary<string, string?>());

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.SendAsync(Message(), TestContext.Current.CancellationToken));

        Assert.Contains(AcsSmsOptions.ConnectionStringSetting, ex.Message, StringComparison.Ordinal);
        Assert.Contains(AcsSmsOptions.FromSetting, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://acs.example.com/")]
    [InlineData("http://10.0.0.5:8080/")]
    public async Task Start_NonLoopbackHttpEndpoint_IsRefusedNamingTheSetting(string endpoint)
    {
        var settings = new Dictionary<string, string?>
        {
            [AcsSmsOptions.ConnectionStringSetting] = $"endpoint={endpoint};accesskey={Convert.ToBase64String(new byte[32])}",
            [AcsSmsOptions.FromSetting] = "+18005550100",
        };

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => SmsHost.StartAsync(settings));

        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith($"{AcsSmsOptions.ConnectionStringSetting}: endpoint must use https", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BadSettings_NamesEachOne()
    {
        var settings = new Dictionary<string, string?>
        {
            [AcsSmsOptions.ConnectionStringSetting] = "endpoint=https://x.communication.azure.com/;accesskey=not base64!",
            ["Sms:Resilience:AttemptTimeout"] = "00:01:00",
            ["Sms:Resilience:TotalTimeout"] = "00:00:30",
            ["Sms:Resilience:MinimumThroughput"] = "1",
        };

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => SmsHost.StartAsync(settings));

        Assert.Contains("ACS_CONNECTION_STRING: accesskey is not valid base64", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("ACS_SMS_FROM: required", StringComparison.Ordinal));
        Assert.Contains("Sms:Resilience:TotalTimeout: must be at least Sms:Resilience:AttemptTimeout", ex.Failures);
        Assert.Contains("Sms:Resilience:MinimumThroughput: must be at least 2", ex.Failures);
        Assert.DoesNotContain(ex.Failures, f => f.Contains("not base64!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_Logs_MaskThePhoneAndLeaveOutTheBody()
    {
        await using var fake = await FakeAcs.StartAsync();
        fake.Reply = r => r.Attempt == 1 ? FakeReply.Error(503) : FakeReply.RecipientFailure(400, $"Invalid To phone number {Phone}.");
        await using var host = await SmsHost.StartAsync(SmsHost.SettingsFor(fake));

        await host.Client.SendAsync(Message(body: "Secret birthday text"), TestContext.Current.CancellationToken);

        var logs = host.Logs.GetSnapshot();
        Assert.Contains(logs, l => l.Message.Contains("+*********23", StringComparison.Ordinal) && l.Message.Contains("rejected", StringComparison.Ordinal));
        Assert.All(logs, l =>
        {
            Assert.DoesNotContain(Phone, l.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Secret birthday text", l.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(fake.AccessKey, l.Message, StringComparison.Ordinal);
        });
    }
}
