using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

/// <summary>The send decision with plain values: consent, phone, whether the message is still true, quiet hours in
/// the member's zone, priority, the daily and weekly caps, and the message's own states.</summary>
public sealed class SendDecisionTests
{
    private static readonly OutreachDefinition Rules = new();
    private static readonly MemberId Id = MemberId.Parse("m1");

    // 12:00 in Shanghai (UTC+8), inside the 10:00–20:00 window.
    private static readonly DateTimeOffset Noon = new(2026, 11, 24, 4, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 11, 24);
    private static readonly DateOnly ExpiryDay = new(2026, 12, 10);

    private static readonly OutboxKey ExpiryWarning = new(Id, Campaign.ExpiryWarning, "2026-12-10");
    private static readonly OutboxKey Birthday = new(Id, Campaign.Birthday, "2026");

    private static Member AMember(bool optIn = true, string? phone = "+8613800138000", string birthday = "--11-24") => new(
        Id,
        new MemberProfile { Phone = phone, SmsOptIn = optIn, TimeZone = "Asia/Shanghai", Birthday = Loyalty.Domain.Members.Birthday.TryParse(birthday, out var b) ? b : null },
        new Account { EnrolledAt = Noon.AddYears(-1) }.Credit(new Points(120), ExpiryDay).Credit(new Points(30), null));

    private static SendDecision Decide(
        OutboxKey key,
        Member? member = null,
        string status = MessageStatus.Planned,
        DateTimeOffset? now = null,
        IReadOnlyList<MessageState>? others = null,
        IReadOnlyList<DateOnly>? sentDays = null) =>
        Sending.Decide(Rules, new SendSituation(new MessageState(key, status, now ?? Noon), member, others ?? [], sentDays ?? [], now ?? Noon));

    [Fact]
    public void Planned_InTheMembersWindow_BeginsWithTheFiguresTheTextShows() =>
        Assert.Equal(new SendDecision.Begin(Today, 150, 120), Decide(ExpiryWarning, AMember()));

    [Fact]
    public void ExpiryWarning_CountsTheActiveVouchersThatExpireByItsDay()
    {
        var member = AMember();
        Voucher V(string code, int days, VoucherStatus status = VoucherStatus.Active) => new(code, "r", "s", Noon, status, ExpiryDay.AddDays(days));
        member = member with { Account = member.Account with { Vouchers = [V("A", 0), V("B", -5), V("C", 1), V("D", -1, VoucherStatus.Used), V("E", -30)] } };

        // A and B expire by the day; C after it; D was used; E expired before now.
        Assert.Equal(new SendDecision.Begin(Today, 150, 120, 2), Decide(ExpiryWarning, member));
    }

    [Fact]
    public void Sending_InTheWindow_SendsAgainWithTheSameRepeatability() =>
        Assert.IsType<SendDecision.Resend>(Decide(ExpiryWarning, AMember(), MessageStatus.Sending));

    [Theory]
    [InlineData(MessageStatus.Sent)]
    [InlineData(MessageStatus.Skipped)]
    [InlineData(MessageStatus.Failed)]
    [InlineData(MessageStatus.Unconfirmed)]
    public void FinalMessage_IsDoneAlready(string status) =>
        Assert.Equal(new SendDecision.AlreadyDone(status), Decide(ExpiryWarning, AMember(), status));

    [Fact]
    public void WithoutConsentOrPhone_OrErased_OrGone_IsSkipped()
    {
        Assert.Equal(new SendDecision.Skip("no-consent"), Decide(ExpiryWarning, AMember(optIn: false)));
        Assert.Equal(new SendDecision.Skip("no-phone"), Decide(ExpiryWarning, AMember(phone: null)));
        Assert.Equal(new SendDecision.Skip("erased"), Decide(ExpiryWarning, AMember() with { ErasedAt = Noon }));
        Assert.Equal(new SendDecision.Skip("member-not-found"), Decide(ExpiryWarning, null));
    }

    [Fact]
    public void ConsentWithdrawnAfterAnAttempt_GivesUp_NeverClaimsItWasNotSent() =>
        Assert.Equal(
            new SendDecision.GiveUp("no-consent after an attempt whose outcome is unknown"),
            Decide(ExpiryWarning, AMember(optIn: false), MessageStatus.Sending));

    [Fact]
    public void At23Local_WaitsForTenTheNextMorning()
    {
        var late = new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero); // 23:00 in Shanghai

        Assert.Equal(new SendDecision.Defer(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), "quiet-hours"), Decide(ExpiryWarning, AMember(), now: late));
    }

    [Fact]
    public void AMessageAlreadySentToday_WaitsForTomorrow() =>
        Assert.Equal(
            new SendDecision.Defer(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), "daily-cap"),
            Decide(ExpiryWarning, AMember(), sentDays: [Today]));

    [Fact]
    public void ThreeMessagesThisWeek_WaitForTheFirstDayUnderTheWeeklyCap() =>
        Assert.Equal(
            new SendDecision.Defer(new DateTimeOffset(2026, 11, 26, 2, 0, 0, TimeSpan.Zero), "weekly-cap"),
            Decide(ExpiryWarning, AMember(), sentDays: [Today.AddDays(-5), Today.AddDays(-3), Today.AddDays(-1)]));

    [Fact]
    public void ABirthdayGreetingTheSameDay_GoesFirst()
    {
        var birthday = new MessageState(Birthday, MessageStatus.Planned, Noon);

        Assert.Equal(
            new SendDecision.Defer(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), "priority"),
            Decide(ExpiryWarning, AMember(), others: [birthday]));
        Assert.IsType<SendDecision.Begin>(Decide(Birthday, AMember(), others: [new MessageState(ExpiryWarning, MessageStatus.Planned, Noon)]));
    }

    [Fact]
    public void NoLongerTrue_IsSkipped_WithTheReason()
    {
        var spent = AMember() with { Account = new Account { EnrolledAt = Noon }.Credit(new Points(30), null) };
        var boughtAgain = AMember() with { Account = new Account { EnrolledAt = Noon, LastPurchaseAt = Noon.AddDays(-10) } };
        var winBack = new OutboxKey(Id, Campaign.WinbackAtRisk, "2026-07-01");

        Assert.Equal(new SendDecision.Skip("points-gone"), Decide(ExpiryWarning, spent));
        Assert.Equal(new SendDecision.Skip("purchased-again"), Decide(winBack, boughtAgain));
        Assert.Equal(new SendDecision.Skip("birthday-passed"), Decide(Birthday, AMember(birthday: "--11-23")));
    }

    [Fact]
    public void MessageStatus_MovesOnlyAsItsTableSays()
    {
        Assert.Equal(MessageStatus.Sending, MessageStatus.Move(MessageStatus.Planned, MessageStatus.Sending));
        Assert.Equal(MessageStatus.Sent, MessageStatus.Move(MessageStatus.Sending, MessageStatus.Sent));
        Assert.False(MessageStatus.CanMove(MessageStatus.Planned, MessageStatus.Sent));
        Assert.False(MessageStatus.CanMove(MessageStatus.Sending, MessageStatus.Skipped));
        Assert.False(MessageStatus.CanMove(MessageStatus.Sent, MessageStatus.Sending));
        Assert.Throws<InvalidOperationException>(() => MessageStatus.Move(MessageStatus.Skipped, MessageStatus.Planned));
    }
}
