using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;

namespace Loyalty.Tests.Outreach;

/// <summary>What a member can text, and what they get back, through the real pipeline on a private Azurite: Event Grid
/// SMS-received payloads into <c>SmsInbound</c>, every answer planned in the outbox and sent by <c>SendOutreach</c> to a
/// fake ACS that checks each request's signature. The program (<c>program.consent.json</c>) has double opt-in (24 hours),
/// a contact, two balance answers a day and both transactional messages.</summary>
public sealed class SmsConversationTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private OutreachHost host = null!;

    public async ValueTask InitializeAsync() => host = await OutreachHost.StartAsync(azurite, Now, programFile: "program.consent.json");

    public ValueTask DisposeAsync() => host.DisposeAsync();

    private List<SentSms> SentTo(string phone) => [.. host.Acs.Sent.Where(s => s.To == phone)];

    private async Task<JsonNode> GetAsync(string path)
    {
        using var response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<string> ConsentAsync(string id) => (await GetAsync($"/api/members/{id}"))["sms"]!["consent"]!.GetValue<string>();

    private async Task<JsonNode> PutAsync(string id, MemberJson member, string? actor = null, string? wording = null)
    {
        var body = JsonNode.Parse(member.ToJson())!;
        body["smsConsentWording"] = wording;
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/members/{id}") { Content = JsonContent.Create(body) };
        if (actor is not null)
        {
            request.Headers.Add("x-actor", actor);
        }

        using var response = await host.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static string LocaleOf(string word) =>
        word.Any(c => c is >= '\u4e00' and <= '\u9fff') ? "zh-CN" : word.Any(c => c is >= '\u0400' and <= '\u04ff') ? "ru" : "en";

    [Theory]
    [MemberData(nameof(ConsentRulesTests.EveryWord), MemberType = typeof(ConsentRulesTests))]
    public async Task EveryKeyword_InEveryLanguage_FromAMembersNumber_IsActedOn_AndAnsweredOnce_InTheirLanguage(string word, SmsKeyword keyword)
    {
        var locale = LocaleOf(word);
        var member = OutreachHost.Member(locale: locale);
        var id = await host.EnrollAsync(member);
        await host.BuyAsync(id, Now.AddHours(-1), 120m);
        await host.DeliverDueAsync();
        var request = Assert.Single(SentTo(member.Phone!));

        var status = await host.TextAsync(member.Phone!, word, "Incoming_" + id);
        await host.TextAsync(member.Phone!, word, "Incoming_" + id);
        await host.DeliverDueAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(locale == "ru" ? "ДА" : "YES", request.Message, StringComparison.Ordinal);
        var reply = Assert.Single(SentTo(member.Phone!), s => s.RequestId != request.RequestId).Message;
        var (campaign, consent, says) = keyword switch
        {
            SmsKeyword.OptOut => ("stop-confirmation", "revoked", "START"),
            SmsKeyword.OptIn or SmsKeyword.Confirm => ("start-confirmation", "granted", "STOP"),
            SmsKeyword.Help => ("help", "pending", "+1 425 555 0100"),
            _ => ("balance", "pending", "120"),
        };
        Assert.Contains(says, reply, StringComparison.Ordinal);
        Assert.Contains("Corner Cafe", reply, StringComparison.Ordinal);
        Assert.Equal(consent, await ConsentAsync(id));
        Assert.Equal("sent", Assert.Single(await host.MessagesAsync(id), m => m.Campaign == campaign).Status);
        var text = reply.Replace("Corner Cafe", "", StringComparison.Ordinal);
        Assert.True(locale switch
        {
            "zh-CN" => text.Any(c => c is >= '\u4e00' and <= '\u9fff'),
            "ru" => text.Any(c => c is >= '\u0400' and <= '\u04ff'),
            _ => text.All(char.IsAscii),
        }, $"'{reply}' is not in {locale}");
    }

    [Fact]
    public async Task Balance_IsAnsweredTwiceADayPerNumber_ThenAgainTheNextDay_AndARedeliveryIsNotAnsweredAgain()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false };
        var id = await host.EnrollAsync(member);
        await host.BuyAsync(id, Now.AddHours(-1), 75m);

        await host.TextAsync(member.Phone!, "BAL", "Incoming_bal1");
        await host.TextAsync(member.Phone!, "BAL", "Incoming_bal1");
        await host.TextAsync(member.Phone!, "balance", "Incoming_bal2");
        await host.TextAsync(member.Phone!, "Points", "Incoming_bal3");
        await host.DeliverDueAsync();
        var firstDay = SentTo(member.Phone!);
        host.Clock.Advance(TimeSpan.FromDays(1));
        await host.TextAsync(member.Phone!, "BAL", "Incoming_bal4");
        await host.DeliverDueAsync();

        Assert.Equal(2, firstDay.Count);
        Assert.All(firstDay, s => Assert.StartsWith("Corner Cafe: your points balance is 75. Tier: Member. Points expiring on", s.Message, StringComparison.Ordinal));
        Assert.Equal(3, SentTo(member.Phone!).Count);
        Assert.Equal(3, (await host.MessagesAsync(id)).Count(m => m.Campaign == "balance"));
        Assert.Equal("none", await ConsentAsync(id));
    }

    [Fact]
    public async Task Balance_SixRequestsAtOnce_AreAnsweredTwice_NeverMore()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false };
        var id = await host.EnrollAsync(member);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => host.TextAsync(member.Phone!, "BAL", $"Incoming_race{i}")));
        await host.DeliverDueAsync();

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(2, (await host.MessagesAsync(id)).Count(m => m.Campaign == "balance"));
        Assert.Equal(2, SentTo(member.Phone!).Count);
    }

    [Fact]
    public async Task Balance_FromANumberTwoMembersShare_OrThatNoMemberHas_IsNeverAnswered()
    {
        var shared = OutreachHost.UniquePhone();
        var first = await host.EnrollAsync(OutreachHost.Member() with { Phone = shared });
        var second = await host.EnrollAsync(OutreachHost.Member() with { Phone = shared, SmsOptIn = false });
        var stranger = OutreachHost.UniquePhone();

        await host.TextAsync(shared, "BAL");
        await host.TextAsync(stranger, "BAL");
        await host.DeliverDueAsync();

        Assert.DoesNotContain(host.Acs.Sent, s => s.To == stranger);
        Assert.DoesNotContain(await host.MessagesAsync(first), m => m.Campaign == "balance");
        Assert.DoesNotContain(await host.MessagesAsync(second), m => m.Campaign == "balance");
        Assert.Single(SentTo(shared));
    }

    [Fact]
    public async Task DoubleOptIn_MakesThemPending_SendsOneRequest_AndYesGrants()
    {
        var member = OutreachHost.Member();
        var id = A.Id("m");

        var put = await PutAsync(id, member);
        await PutAsync(id, member);
        await host.DeliverDueAsync();
        var pendingUntil = DateTimeOffset.Parse((await GetAsync($"/api/members/{id}"))["sms"]!["pendingUntil"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        await host.TextAsync(member.Phone!, "Yes");
        await host.DeliverDueAsync();

        Assert.Equal(("pending", false), (put["sms"]!["consent"]!.GetValue<string>(), put["smsOptIn"]!.GetValue<bool>()));
        Assert.Equal(Now.AddHours(24), pendingUntil);
        var sent = SentTo(member.Phone!).Select(s => s.Message).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, sent.Count);
        Assert.StartsWith("Corner Cafe: reply YES to get loyalty offers", sent[0], StringComparison.Ordinal);
        Assert.StartsWith("Corner Cafe: you are subscribed", sent[1], StringComparison.Ordinal);
        var granted = await GetAsync($"/api/members/{id}");
        Assert.Equal(("granted", true), (granted["sms"]!["consent"]!.GetValue<string>(), granted["smsOptIn"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task DoubleOptIn_UnansweredForTheConfiguredTime_Expires_AndALateYesChangesNothing()
    {
        var member = OutreachHost.Member();
        var id = await host.EnrollAsync(member);

        host.Clock.Advance(TimeSpan.FromHours(25));
        var expired = (await GetAsync($"/api/members/{id}"))["sms"]!;
        await host.DeliverDueAsync();
        await host.TextAsync(member.Phone!, "YES");
        await host.DeliverDueAsync();

        Assert.Equal("none", expired["consent"]!.GetValue<string>());
        Assert.Equal(Now.AddHours(24), DateTimeOffset.Parse(expired["since"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(SentTo(member.Phone!));
        Assert.Equal(("skipped", "not-pending"), (await host.MessagesAsync(id)).Where(m => m.Campaign == "opt-in-request").Select(m => (m.Status, m.Reason)).Single());
        Assert.Equal("none", await ConsentAsync(id));
    }

    /// <summary>Event Grid may deliver an event late or again: a YES received before the request was made answers nothing,
    /// even when it arrives (again) while the request waits.</summary>
    [Fact]
    public async Task DoubleOptIn_AYesReceivedBeforeTheRequest_DeliveredAgainWhileItWaits_DoesNotConfirmIt()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false };
        var id = await host.EnrollAsync(member);
        var early = SmsEvents.Invocation(SmsEvents.Received(member.Phone!, "YES", "Incoming_early", Now));
        await host.DeliverAsync(early);

        host.Clock.Advance(TimeSpan.FromMinutes(5));
        await PutAsync(id, member with { SmsOptIn = true });
        await host.DeliverAsync(early);

        Assert.Equal("pending", await ConsentAsync(id));
        var yes = await host.TextAsync(member.Phone!, "YES");
        Assert.Equal((HttpStatusCode.OK, "granted"), (yes, await ConsentAsync(id)));
    }

    [Fact]
    public async Task Start_DeliveredAgainAfterTheNumberChangedHands_IsThePreviousHoldersText_AndGrantsTheNewHolderNothing()
    {
        var holder = OutreachHost.Member() with { SmsOptIn = false };
        var previous = await host.EnrollAsync(holder);
        var start = SmsEvents.Invocation(SmsEvents.Received(holder.Phone!, "START", "Incoming_handover", Now));
        await host.DeliverAsync(start);
        await host.DeliverDueAsync();
        Assert.Equal("granted", await ConsentAsync(previous));
        var confirmation = Assert.Single(SentTo(holder.Phone!));

        // The previous holder moves to another number, and theirs goes to a new member; Event Grid delivers the START again.
        host.Clock.Advance(TimeSpan.FromHours(1));
        await PutAsync(previous, holder with { Phone = OutreachHost.UniquePhone(), SmsOptIn = true });
        var next = await host.EnrollAsync(OutreachHost.Member() with { Phone = holder.Phone, SmsOptIn = false });
        var status = await host.DeliverAsync(start);
        await host.DeliverDueAsync();

        Assert.Equal((HttpStatusCode.OK, "none"), (status, await ConsentAsync(next)));
        Assert.Empty(await host.MessagesAsync(next));
        Assert.Equal(confirmation, Assert.Single(SentTo(holder.Phone!))); // the previous holder's confirmation, nothing since
        Assert.Equal("granted", await ConsentAsync(previous));

        // A START the new holder sends themselves is theirs.
        await host.TextAsync(holder.Phone!, "START");
        Assert.Equal("granted", await ConsentAsync(next));
    }

    [Fact]
    public async Task ConsentRecord_KeepsEveryChange_WithWhenChannelActorAndWording_InTheExport_AndErasureKeepsIt()
    {
        var member = OutreachHost.Member();
        var id = A.Id("m");
        await PutAsync(id, member, "till-7", "Text me Corner Cafe offers");
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        await host.TextAsync(member.Phone!, "YES");
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        await host.TextAsync(member.Phone!, "STOP");
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        using var erase = new HttpRequestMessage(HttpMethod.Delete, $"/api/members/{id}");
        erase.Headers.Add("x-actor", "privacy-desk");
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.SendAsync(erase)).StatusCode);

        var export = await GetAsync($"/api/members/{id}/export");

        var record = export["consent"]!.AsArray().Select(c => (
            c!["channel"]!.GetValue<string>(), c["actor"]?.GetValue<string>(), c["consent"]!.GetValue<string>(), c["keyword"]?.GetValue<string>(),
            c["requestedAt"]!.GetValue<DateTimeOffset>())).ToList();
        Assert.Equal(
            [
                ("api", "till-7", "pending", null, Now),
                ("sms", "member", "granted", "YES", Now.AddMinutes(1)),
                ("sms", "member", "revoked", "STOP", Now.AddMinutes(2)),
                ("erasure", "privacy-desk", "none", null, Now.AddMinutes(3)),
            ],
            record);
        var wordings = export["consent"]!.AsArray().Select(c => c!["wording"]?.GetValue<string>()).ToList();
        Assert.Equal("Text me Corner Cafe offers", wordings[0]);
        Assert.StartsWith("Corner Cafe: reply YES", wordings[1], StringComparison.Ordinal);
        Assert.Equal("Reply STOP to opt out", wordings[2]);
        Assert.DoesNotContain(member.Phone![1..], export.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("none", export["member"]!["sms"]!["consent"]!.GetValue<string>());
    }

    [Fact]
    public async Task AlphanumericSender_TakesNoReplies_SoNothingAnswersAKeyword_ButStopStillStops()
    {
        await host.DisposeAsync();
        host = await OutreachHost.StartAsync(azurite, Now, new Dictionary<string, string?> { ["ACS_SMS_FROM"] = "CornerCafe" }, "program.consent.json");
        var member = OutreachHost.Member() with { SmsTransactional = true };
        var id = await host.EnrollAsync(member);

        await host.TextAsync(member.Phone!, "HELP");
        await host.TextAsync(member.Phone!, "BAL");
        await host.TextAsync(member.Phone!, "STOP");
        await host.DeliverDueAsync();

        Assert.Empty(host.Acs.Sent);
        Assert.Empty(await host.MessagesAsync(id));
        Assert.Equal("revoked", await ConsentAsync(id));
        Assert.False((await GetAsync($"/api/members/{id}"))["sms"]!["transactional"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Transactional_ThankYouAndVoucherNotice_NeedTransactionalConsentOnly_GoOncePerPurchase_AndTakeNoMarketingSlot()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true };
        var id = await host.EnrollAsync(member);
        var without = await host.EnrollAsync(OutreachHost.Member());
        var purchase = A.Purchase(id).WithAmount(120m) with { OccurredAt = Iso(Now.AddMinutes(-5)) };
        var bigger = A.Purchase(id).WithAmount(300m) with { OccurredAt = Iso(Now.AddMinutes(-1)) };

        foreach (var body in new[] { purchase, purchase, bigger, bigger })
        {
            using var response = await host.Client.PostJsonAsync("/api/purchases", body.ToJson());
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        await host.BuyAsync(without, Now.AddMinutes(-1), 300m);
        await host.DeliverDueAsync();
        await host.DeliverDueAsync();

        var sent = SentTo(member.Phone!).Select(s => s.Message).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Contains("Thanks for your purchase, Alice! You earned 120 Corner Cafe points; your balance is now 420. Reply STOP to opt out", sent);
        Assert.Contains("Thanks for your purchase, Alice! You earned 300 Corner Cafe points; your balance is now 420. Reply STOP to opt out", sent);
        Assert.Contains("Good news, Alice: your $5 voucher voucher from Corner Cafe is ready. Show it at the till. Reply STOP to opt out", sent);
        var state = await host.App.Service<Outbox>().LoadAsync(MemberId.Parse(id), DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-8), CancellationToken.None);
        Assert.Empty(state.Slots);
        Assert.DoesNotContain(await host.MessagesAsync(without), m => m.Campaign is "thank-you" or "voucher-issued");
    }

    [Fact]
    public async Task Transactional_AfterAPurchaseAtNight_WaitsForTheSendingWindow()
    {
        host.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 24, 22, 30, 0, TimeSpan.Zero));
        var member = OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true };
        var id = await host.EnrollAsync(member);
        var purchase = A.Purchase(id).WithAmount(10m) with { OccurredAt = Iso(host.Clock.GetUtcNow().AddMinutes(-1)) };
        using (var response = await host.Client.PostJsonAsync("/api/purchases", purchase.ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var atNight = await host.SendAsync(id, Campaign.ThankYou, purchase.PurchaseId);
        var row = await host.RowAsync(id, Campaign.ThankYou, purchase.PurchaseId);
        host.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        await host.SendAsync(id, Campaign.ThankYou, purchase.PurchaseId);

        Assert.True((int)atNight < 300);
        Assert.Equal(("planned", new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero)), (row.Status, row.PlannedFor));
        Assert.Single(SentTo(member.Phone!));
        Assert.Equal("sent", (await host.RowAsync(id, Campaign.ThankYou, purchase.PurchaseId)).Status);
    }

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
