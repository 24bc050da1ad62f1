using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

/// <summary>The consent rules and what they mean for sending, with plain values.</summary>
public sealed class ConsentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly ConsentPolicy Double = new(true, TimeSpan.FromHours(24));
    private static readonly ConsentPolicy Single = new(false, TimeSpan.FromHours(24));
    private static readonly SmsConsent Granted = new() { State = ConsentState.Granted, Since = Now.AddDays(-3) };
    private static readonly SmsConsent Pending = new() { State = ConsentState.Pending, Since = Now.AddHours(-1), PendingUntil = Now.AddHours(23) };

    [Fact]
    public void AText_IsTheMembers_UnlessTheyWereGivenTheNumberAfterItWasReceived()
    {
        var given = new MemberProfile { Phone = "+14255550100", PhoneSince = Now };
        Assert.True(given.MayHaveSent("+14255550100", Now));
        Assert.False(given.MayHaveSent("+14255550100", Now.AddSeconds(-1)));
        Assert.True((given with { PhoneSince = null }).MayHaveSent("+14255550100", Now.AddDays(-1))); // imported, or given before it was recorded
        Assert.True(given.MayHaveSent("+14255550199", Now.AddDays(-1))); // found by that number, and given another one since
    }

    [Fact]
    public void Requested_WithDoubleOptIn_IsPendingUntilTheConfiguredTime_AndAskingAgainChangesNothing()
    {
        var first = Consents.Requested(SmsConsent.None, true, false, Double, Now);
        var again = Consents.Requested(first, true, false, Double, Now.AddHours(2));

        Assert.Equal((ConsentState.Pending, Now, Now.AddHours(24)), (first.State, first.Since, first.PendingUntil));
        Assert.Equal(first, again);
        Assert.Equal(ConsentState.Granted, Consents.Requested(SmsConsent.None, true, false, Single, Now).State);
    }

    [Fact]
    public void Requested_AfterThePendingRequestExpired_AsksAnew_AndWithdrawingRevokes()
    {
        var expired = Consents.Requested(Pending, true, false, Double, Now.AddDays(2));

        Assert.Equal((ConsentState.Pending, Now.AddDays(2)), (expired.State, expired.Since));
        Assert.Equal(ConsentState.None, Pending.At(Now.AddDays(1)));
        Assert.Equal(Pending.PendingUntil, Pending.SinceAt(Now.AddDays(1)));
        Assert.Equal(ConsentState.Revoked, Consents.Requested(Granted, false, false, Double, Now).State);
        Assert.Equal(ConsentState.Revoked, Consents.Requested(Pending, false, false, Double, Now).State);
        Assert.Equal(ConsentState.None, Consents.Requested(SmsConsent.None, false, false, Double, Now).State);
        Assert.True(Consents.Requested(Granted, true, true, Double, Now) is { State: ConsentState.Granted, Transactional: true });
    }

    [Fact]
    public void Keywords_StopRevokesBoth_StartGrantsBoth_YesOnlyConfirmsAPendingRequest()
    {
        var withTransactional = Granted with { Transactional = true };

        Assert.True(Consents.OnKeyword(withTransactional, SmsKeyword.OptOut, Now, Now) is { State: ConsentState.Revoked, Transactional: false });
        Assert.True(Consents.OnKeyword(SmsConsent.None, SmsKeyword.OptIn, Now, Now) is { State: ConsentState.Granted, Transactional: true });
        Assert.True(Consents.OnKeyword(Pending, SmsKeyword.Confirm, Now, Now) is { State: ConsentState.Granted, PendingUntil: null });
        Assert.Null(Consents.OnKeyword(SmsConsent.None, SmsKeyword.Confirm, Now, Now));
        Assert.Null(Consents.OnKeyword(Pending, SmsKeyword.Confirm, Now.AddDays(1), Now.AddDays(1)));
        Assert.Null(Consents.OnKeyword(Pending, SmsKeyword.Confirm, Pending.Since!.Value.AddSeconds(-1), Now));
        Assert.Null(Consents.OnKeyword(Granted, SmsKeyword.Help, Now, Now));
        var again = Consents.OnKeyword(new SmsConsent { State = ConsentState.Revoked, Since = Now }, SmsKeyword.OptOut, Now.AddHours(1), Now.AddHours(1))!;
        Assert.False(Consents.Record(new SmsConsent { State = ConsentState.Revoked, Since = Now }, again, new ConsentSource("sms", "x"), Now, Now).Changed);
    }

    [Theory]
    [MemberData(nameof(EveryWord))]
    public void Keywords_AreRecognisedInAnyCase_WithPunctuationAround(string word, SmsKeyword keyword)
    {
        Assert.Equal(keyword, SmsKeywords.Parse(word));
        Assert.Equal(keyword, SmsKeywords.Parse($" {word.ToLowerInvariant()}! "));
        Assert.Equal(SmsKeyword.None, SmsKeywords.Parse($"{word} please"));
    }

    public static TheoryData<string, SmsKeyword> EveryWord()
    {
        var data = new TheoryData<string, SmsKeyword>();
        foreach (var (keyword, words) in SmsKeywords.Words)
        {
            foreach (var word in words)
            {
                data.Add(word, keyword);
            }
        }

        return data;
    }

    [Fact]
    public void Sending_MarketingWhilePending_IsSkipped_ButTransactionalIsNotCountedAgainstTheCap()
    {
        var id = MemberId.Parse("m1");
        var pending = new Member(id, new MemberProfile { Phone = "+14255550123", Sms = Pending with { Transactional = true } }, new Account { EnrolledAt = Now.AddYears(-1), LastPurchaseAt = Now.AddDays(-100) });
        var winBack = new OutboxKey(id, Campaign.WinbackAtRisk, OutreachRules.Period(DateOnly.FromDateTime(Now.AddDays(-100).UtcDateTime)));
        var thankYou = new OutboxKey(id, Campaign.ThankYou, "p-1");
        var today = DateOnly.FromDateTime(Now.UtcDateTime);

        var marketing = Sending.Decide(new OutreachDefinition(), new SendSituation(new MessageState(winBack, MessageStatus.Planned, Now), pending, [], [], Now));
        var transactional = Sending.Decide(new OutreachDefinition(), new SendSituation(new MessageState(thankYou, MessageStatus.Planned, Now), pending, [], [today, today.AddDays(-1), today.AddDays(-2)], Now));

        Assert.Equal(new SendDecision.Skip("no-consent"), marketing);
        Assert.IsType<SendDecision.Begin>(transactional);
    }

    [Fact]
    public void Sending_TransactionalKeepsQuietHours_AndNeedsTransactionalConsent_WhileARepliesGoesAtOnce()
    {
        var id = MemberId.Parse("m1");
        var night = new DateTimeOffset(2026, 11, 24, 23, 0, 0, TimeSpan.Zero);
        var member = new Member(id, new MemberProfile { Phone = "+14255550123", Sms = Granted with { Transactional = true } }, new Account { EnrolledAt = Now.AddYears(-1) });
        var noTransactional = member with { Profile = member.Profile with { Sms = Granted } };
        SendDecision Decide(Campaign campaign, Member m) =>
            Sending.Decide(new OutreachDefinition(), new SendSituation(new MessageState(new OutboxKey(id, campaign, "x-1"), MessageStatus.Planned, night), m, [], [], night));

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero), Assert.IsType<SendDecision.Defer>(Decide(Campaign.ThankYou, member)).Until);
        Assert.Equal(new SendDecision.Skip("no-consent"), Decide(Campaign.ThankYou, noTransactional));
        Assert.IsType<SendDecision.Begin>(Decide(Campaign.Help, noTransactional with { Profile = noTransactional.Profile with { Sms = SmsConsent.None } }));
        Assert.Equal(new SendDecision.Skip("no-phone"), Decide(Campaign.Help, member with { Profile = member.Profile with { Phone = null } }));
    }

    [Fact]
    public void TransactionalMessages_FollowTheAccount_AndTheConsent_AndNeverAnOldPurchase()
    {
        var id = MemberId.Parse("m1");
        var rules = new OutreachDefinition { Transactional = new TransactionalRules { ThankYou = true, VoucherIssued = true } };
        var before = new Member(id, new MemberProfile { Phone = "+14255550123", Sms = SmsConsent.None with { Transactional = true } }, new Account { EnrolledAt = Now.AddYears(-1) });
        var voucher = new Voucher("V-1", "voucher-5", "spend-300", Now);
        var after = before.Account with { Vouchers = [voucher] };
        var thanks = new Thanks("p-1", 120, Now.AddMinutes(-5));

        var planned = TransactionalMessages.Between(before, after, thanks, rules, Now);

        Assert.Equal([(Campaign.ThankYou, "p-1", (long?)120), (Campaign.VoucherIssued, "V-1", null)], planned.Select(m => (m.Campaign, m.Period, m.Earned)));
        Assert.Empty(TransactionalMessages.Between(before with { Profile = before.Profile with { Sms = SmsConsent.None } }, after, thanks, rules, Now));
        Assert.Empty(TransactionalMessages.Between(before with { Profile = before.Profile with { Phone = null } }, after, thanks, rules, Now));
        Assert.Empty(TransactionalMessages.Between(before, after, thanks with { OccurredAt = Now.AddDays(-3) }, rules, Now));
        Assert.Empty(TransactionalMessages.Between(before with { Account = after }, after, null, rules, Now));
        Assert.Equal(Campaign.VoucherIssued, Assert.Single(TransactionalMessages.Between(before, after, null, rules, Now)).Campaign);
        Assert.Empty(TransactionalMessages.Between(before, after, thanks, new OutreachDefinition(), Now));
    }

    [Fact]
    public void Render_ForASenderThatTakesNoReplies_LeavesTheOptOutLineOut()
    {
        var values = new TemplateValues { ProgramName = "Corner Cafe", FirstName = "Ana", Points = new Points(120) };

        var numbered = new OutreachDefinition().Render(Campaign.WinbackAtRisk, "en", values).Text;
        var alphanumeric = new OutreachDefinition().Render(Campaign.WinbackAtRisk, "en", values with { CanReply = false }).Text;

        Assert.EndsWith("Reply STOP to opt out", numbered, StringComparison.Ordinal);
        Assert.DoesNotContain("STOP", alphanumeric, StringComparison.Ordinal);
        Assert.EndsWith("we'd love to have you back.", alphanumeric, StringComparison.Ordinal);
    }
}
