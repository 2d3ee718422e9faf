"""Ledger mechanisms that carry beyond the gold set's sentences (issue 15): conditional frames, the matter of a bare
verb, coordinated verbs after a criticism, occasions vs objects, and stance verbs in their ordinary forms."""
import pytest

from bot.ingestion.ledger import extract_positions
from bot.text.profile import Profile


@pytest.fixture(scope="module")
def profile() -> Profile:
    return Profile.load()


def triples(findings) -> set[tuple[str, str, str]]:
    return {(f.party, f.issue, f.stance) for f in findings}


# --------------------------------------------------------------------------- conditions

@pytest.mark.parametrize("sentence, expected", [
    # what the main clause offers is conditional; a non-timing condition's content is demanded
    ("Ukraine's foreign minister said Kyiv would accept a truce on the condition that Russia releases all prisoners.",
     {("ukraine", "ceasefire", "conditions"), ("ukraine", "prisoners", "demands")}),
    ("The Kremlin said any ceasefire would depend on an end to Western arms deliveries.",
     {("russia", "ceasefire", "conditions"), ("russia", "weapons", "demands")}),
    ("Lavrov said a peace deal was possible on condition that Ukraine abandons its NATO ambitions.",
     {("russia", "peace_deal", "conditions"), ("russia", "nato_membership", "demands")}),
    # 在X的前提下,Y: the condition comes first
    ("泽连斯基表示,在获得安全保障的前提下,乌克兰愿意停火。",
     {("ukraine", "ceasefire", "conditions"), ("ukraine", "security_guarantees", "demands")}),
    ("佩斯科夫说,只有乌克兰撤出四个地区,俄罗斯才会停火。",
     {("russia", "ceasefire", "conditions"), ("russia", "territory", "demands")}),
])
def test_a_conditional_frame_conditions_the_main_clause_and_demands_the_condition(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_a_timing_condition_makes_no_demand(profile):
    found = triples(extract_positions(["Macron said European troops would deploy only once a peace agreement is signed."], profile))
    assert ("france", "security_guarantees", "conditions") in found
    assert not any(stance == "demands" for _, _, stance in found)


def test_the_writers_own_until_is_nobodys_condition(profile):
    assert extract_positions(["The fighting went on until the ceasefire talks began."], profile) == []


# --------------------------------------------------------------------------- what and who

def test_a_verb_with_no_object_takes_the_matter_of_the_clause_before(profile):
    found = extract_positions(["俄罗斯外交部发言人扎哈罗娃表示,任何西方军队部署在乌克兰都将被俄方视为直接卷入冲突,俄方不会接受。"], profile)
    assert triples(found) == {("russia", "security_guarantees", "rejects")}
    # a noun after the verb is its own matter, not a bare verb: no territory stance from "the front line" before it
    assert extract_positions(["他说,俄方在前线增兵,俄罗斯不是在准备和平。"], profile) == []


def test_a_verb_coordinated_after_a_criticism_is_the_speakers(profile):
    found = extract_positions(["President Volodymyr Zelensky said the strikes showed that Moscow was not serious about peace "
                               "and urged Washington to impose new sanctions."], profile)
    assert triples(found) == {("ukraine", "sanctions", "demands")}


def test_an_occasion_is_only_what_its_preposition_governs(profile):
    # "in principle" does not make the exchange an occasion: "to" governs it
    assert triples(extract_positions(["Russia agreed in principle to a prisoner exchange."], profile)) == {("russia", "prisoners", "accepts")}
    assert extract_positions(["Russia agreed to nothing in the talks."], profile) == []


@pytest.mark.parametrize("sentence, expected", [
    ("Ukraine wants security guarantees from its allies.", ("ukraine", "security_guarantees", "demands")),
    ("Zelensky called on Washington to impose new sanctions on Russia.", ("ukraine", "sanctions", "demands")),
    ("Russia asked for the lifting of sanctions on its banks.", ("russia", "sanctions", "demands")),
    ("The Kremlin said it favours a negotiated peace deal.", ("russia", "peace_deal", "accepts")),
    ("Ukraine welcomed a mediated settlement.", ("ukraine", "peace_deal", "accepts")),
    ("Russia turned down the proposal for an energy truce.", ("russia", "energy_ceasefire", "rejects")),
    ("Ukraine signed on to the proposal for a 30-day ceasefire.", ("ukraine", "ceasefire", "accepts")),
    ("乌克兰回绝了停火方案。", ("ukraine", "ceasefire", "rejects")),
])
def test_ordinary_stance_verbs(profile, sentence, expected):
    assert expected in triples(extract_positions([sentence], profile))


def test_an_issue_word_modifying_another_issue_noun_is_not_an_issue_of_its_own(profile):
    assert triples(extract_positions(["The Kremlin said it favours a negotiated peace deal."], profile)) == {("russia", "peace_deal", "accepts")}


@pytest.mark.parametrize("sentence, expected", [
    # 只有在A之后,B才: what takes effect is named before 才, in the clause after the condition
    ("克里姆林宫表示,只有在西方解除对俄罗斯的制裁之后,黑海协议才会生效。",
     {("russia", "maritime_ceasefire", "conditions"), ("russia", "sanctions", "demands")}),
    # "if ..., A can ...": a conditional position with a modal of ability
    ("他说,如果实现全面停火并获得可靠的安全保障,乌克兰可以举行选举。", {("ukraine", "elections", "conditions")}),
])
def test_chinese_conditions(profile, sentence, expected):
    context = ["泽连斯基在视频讲话中谈到了战时状态。"]
    assert expected <= triples(extract_positions(context + [sentence], profile))


def test_what_a_thing_would_need_is_its_condition_what_a_party_would_need_its_demand(profile):
    thing = extract_positions(['German Chancellor Friedrich Merz said any European force would need a US "backstop" to be credible.'], profile)
    assert triples(thing) == {("germany", "security_guarantees", "conditions")}
    party = extract_positions(["Zelensky said Ukraine would need more air defence weapons."], profile)
    assert triples(party) == {("ukraine", "weapons", "demands")}


def test_not_rejecting_but_demanding_is_a_condition(profile):
    found = extract_positions(["Moscow did not reject the ceasefire plan, but insisted on guarantees that Ukraine stays out of NATO."], profile)
    assert ("russia", "ceasefire", "conditions") in triples(found)
    assert not any(f.stance in ("rejects", "offers", "accepts") for f in found)


def test_off_the_table_rejects_and_wanting_to_obtain_demands(profile):
    assert triples(extract_positions(['The US envoy Keith Kellogg said NATO membership for Ukraine was "off the table".'], profile)) \
        == {("united_states", "nato_membership", "rejects")}
    assert triples(extract_positions(["消息人士说,莫斯科还希望得到乌克兰永不加入北约的书面保证。"], profile)) \
        == {("russia", "nato_membership", "demands")}


@pytest.mark.parametrize("sentence, expected", [
    # the aim of "conditions for" is conditional, what the conditions require is demanded
    ("The Kremlin said its conditions for a ceasefire include a halt to Western arms supplies.",
     {("russia", "ceasefire", "conditions"), ("russia", "weapons", "demands")}),
    # a proviso's content is demanded; the frame it is said of ("the agreement includes") is neither
    ("Putin is open to negotiations, provided the agreement includes recognition of the annexed territories.",
     {("russia", "talks", "conditions"), ("russia", "territory", "demands")}),
    # what is given in exchange for a demand is no stance of its own
    ("Putin is pushing Trump to recognise the annexation of Crimea in exchange for a pledge on sanctions.",
     {("russia", "territory", "demands")}),
])
def test_what_a_condition_cue_requires_is_demanded(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_speaking_on_condition_of_anonymity_is_no_condition(profile):
    found = extract_positions(["Two European officials, who spoke on condition of anonymity, said the EU would keep sanctions in place."], profile)
    assert not any(f.stance == "conditions" for f in found)


@pytest.mark.parametrize("sentence, expected", [
    ("Ukraine signed the ceasefire agreement on Tuesday.", {("ukraine", "ceasefire", "accepts")}),
    ("Russia has no intention of returning Crimea, Lavrov said.", {("russia", "territory", "rejects")}),
    ("Hungary is against new sanctions on Russia.", {("hungary", "sanctions", "rejects")}),
])
def test_more_stance_verbs(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


@pytest.mark.parametrize("sentence", [
    "The talks failed to reach an agreement on a ceasefire.",
    "Russia and Ukraine failed to reach an agreement on a ceasefire.",
    "双方未能达成停火协议。",
    "Macron said the force would deploy only after a ceasefire agreement had been signed.",
])
def test_a_failure_or_a_passive_signature_is_no_stance(profile, sentence):
    assert not any(f.stance in ("accepts", "rejects") for f in extract_positions([sentence], profile))


def test_both_sides_are_the_pair_named_or_the_documents_two_parties(profile):
    named = extract_positions(["美国白宫发表声明说,俄乌双方同意确保黑海航行安全。"], profile)
    assert triples(named) == {("russia", "maritime_ceasefire", "accepts"), ("ukraine", "maritime_ceasefire", "accepts")}
    document = ["Russia and Ukraine held a new round of talks in Istanbul.", "Ukraine's delegation was led by Rustem Umerov.",
                "Turkish Foreign Minister Hakan Fidan said both sides agreed to a new prisoner exchange."]
    assert triples(extract_positions(document, profile)) == {("russia", "prisoners", "accepts"), ("ukraine", "prisoners", "accepts")}


def test_a_forecast_about_both_sides_is_nobodys_position(profile):
    assert extract_positions(["Trump said both sides would soon agree to a ceasefire."], profile) == []


def test_a_sea_is_the_maritime_issue_not_territory(profile):
    found = extract_positions(["Russia and Ukraine agreed to ensure safe navigation and to stop using force in the Black Sea."], profile)
    assert triples(found) == {("russia", "maritime_ceasefire", "accepts"), ("ukraine", "maritime_ceasefire", "accepts")}


@pytest.mark.parametrize("sentence, expected", [
    # a refusal without X makes X a condition
    ("Ukraine will not agree to a ceasefire without security guarantees, Zelensky said.",
     {("ukraine", "ceasefire", "conditions"), ("ukraine", "security_guarantees", "demands")}),
    ("泽连斯基说,没有安全保障就不会有停火。", {("ukraine", "ceasefire", "conditions"), ("ukraine", "security_guarantees", "demands")}),
    # "only ... after", "but only in": the main clause is conditional, a timing makes no demand
    ("Zelensky said elections could only take place after the war ends.", {("ukraine", "elections", "conditions")}),
    ("Putin said he was ready to meet Zelensky, but only in the final stage of negotiations.", {("russia", "talks", "conditions")}),
    ("Ukraine wants a ceasefire, but only with security guarantees.",
     {("ukraine", "ceasefire", "conditions"), ("ukraine", "security_guarantees", "demands")}),
    # the framing subject holds a condition stated in a that-clause
    ("Moscow insists that any ceasefire be preceded by a halt to Western arms deliveries.",
     {("russia", "ceasefire", "conditions"), ("russia", "weapons", "demands")}),
    # an if-clause before an offer makes it conditional (若, not only 如果)
    ("普京表示,若乌克兰放弃加入北约,俄方愿意停火。", {("russia", "ceasefire", "conditions"), ("russia", "nato_membership", "demands")}),
])
def test_refusals_without_and_only_after_are_conditions(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_without_in_a_plain_clause_is_no_condition(profile):
    assert not any(f.stance == "conditions" for f in extract_positions(["Russia and Ukraine held talks without preconditions."], profile))


@pytest.mark.parametrize("sentence, expected", [
    ("Ukraine presented its 20-point peace plan to the US envoy.", {("ukraine", "peace_deal", "offers")}),
    ("Zelensky unveiled a new proposal for a prisoner exchange.", {("ukraine", "prisoners", "offers")}),
    ("俄方表示,乌克兰须撤出四个地区。", {("russia", "territory", "demands")}),
    ("俄罗斯的要求包括乌克兰保持中立。", {("russia", "nato_membership", "demands")}),
])
def test_presenting_a_plan_and_chinese_necessity(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_condemning_an_event_is_no_stance_on_its_issue(profile):
    assert extract_positions(["The West and Kyiv condemned these as a sham referendum."], profile) == []


def test_a_refusal_while_another_party_acts_is_a_condition(profile):
    found = extract_positions(['Russian officials said they would not discuss prisoner exchanges while Ukraine "stages provocations".'], profile)
    assert ("russia", "prisoners", "conditions") in triples(found)
    assert extract_positions(["Prisoner exchanges continued while the talks stalled."], profile) == []


def test_the_definite_thing_of_a_condition_is_the_documents_topic(profile):
    document = ["European leaders discussed a peacekeeping force for Ukraine.", "The peacekeepers would number about 10,000.",
                "French President Emmanuel Macron said the force would deploy only once a peace agreement had been signed."]
    assert ("france", "security_guarantees", "conditions") in triples(extract_positions(document, profile))


@pytest.mark.parametrize("sentence, expected", [
    # calling a policy a threat is rejecting it (as calling it an escalation is)
    ("Lavrov said the presence of troops from NATO countries would be seen as a direct threat to Russia's security.",
     {("russia", "security_guarantees", "rejects")}),
    # ships and the sea they sail are the maritime issue, not territory
    ("Ukrainian negotiator Rustem Umerov said Kyiv would not accept any inspection of ships by Russian officials.",
     {("ukraine", "maritime_ceasefire", "rejects")}),
    ("Ukraine and Russia agreed to stop using force in the Black Sea.",
     {("ukraine", "maritime_ceasefire", "accepts"), ("russia", "maritime_ceasefire", "accepts")}),
    ("Two European diplomats said Washington had asked Kyiv to accept a ceasefire.", {("united_states", "ceasefire", "demands")}),
])
def test_threats_ships_and_requests(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_what_would_violate_an_agreement_is_no_rejection_of_it(profile):
    found = extract_positions(["Umerov said any movement of Russian warships outside the eastern part of the sea would be "
                               "regarded as a violation of the agreement."], profile)
    assert not any(f.issue == "peace_deal" for f in found)


def test_an_if_clause_before_a_readiness_is_a_conditional_offer(profile):
    found = extract_positions(["泽连斯基表示,如果俄罗斯接受30天全面停火,乌克兰准备以任何形式进行谈判。"], profile)
    assert triples(found) == {("ukraine", "talks", "conditions"), ("ukraine", "ceasefire", "demands")}


@pytest.mark.parametrize("sentence", [
    "英国首相斯塔默会见了参与“志愿者联盟”的各国军方领导人,讨论维和部队。",
    "他说,一旦俄乌达成停火,欧洲必须做好准备。",
])
def test_volunteers_and_getting_ready_are_no_offers(profile, sentence):
    assert not any(f.stance == "offers" for f in extract_positions([sentence], profile))


@pytest.mark.parametrize("sentence, expected", [
    ("Moscow expects Kyiv to withdraw from the four regions.", {("russia", "territory", "demands")}),
    ("Ukraine is determined to regain all of its occupied territory.", {("ukraine", "territory", "demands")}),
    ("乌方仍在争取类似北约第五条的安全保障。", {("ukraine", "security_guarantees", "demands")}),
    ("The United States will guarantee a ceasefire along the front line, Witkoff said.", {("united_states", "ceasefire", "offers")}),
    ("俄方打算恢复与乌方的谈判。", {("russia", "talks", "offers")}),
    ("The Kremlin gave its green light to a new prisoner exchange.", {("russia", "prisoners", "accepts")}),
    ("Peskov called the idea of a European peacekeeping force a non-starter.", {("russia", "security_guarantees", "rejects")}),
])
def test_intentions_expectations_and_dismissals(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_a_negated_modifier_is_no_refusal(profile):
    # 没有美国支持的欧洲部队: "a European force without US support" says nothing about what the US refuses
    found = extract_positions(["泽连斯基说,没有美国支持的欧洲部队难以形成有效威慑。"], profile)
    assert not any(f.party == "united_states" for f in found)


def test_is_expected_to_is_a_forecast_not_a_demand(profile):
    found = extract_positions(["Ukraine is expected to present its proposals for a ceasefire next week."], profile)
    assert not any(f.stance == "demands" for f in found)


def test_a_forecast_of_what_another_party_will_do_is_not_its_stance(profile):
    assert extract_positions(["Trump said Putin would agree to a ceasefire soon."], profile) == []
    found = extract_positions(["Peskov said a guarantee that Ukraine would never join NATO remained a key demand."], profile)
    assert not any(f.party == "ukraine" for f in found)
    # what the other party did is a report of its stance, with the reporter as the speaker
    reported = extract_positions(["Trump said Putin had agreed to a 30-day pause on attacks against energy infrastructure."], profile)
    assert {(f.party, f.issue, f.stance, f.speaker) for f in reported} == {("russia", "energy_ceasefire", "accepts", "trump")}
    # 会谈 is talks, not the modal 会
    found = extract_positions(["美国周二宣布,俄罗斯与乌克兰在会谈三天后同意确保黑海航行安全。"], profile)
    assert ("russia", "maritime_ceasefire", "accepts") in triples(found)


@pytest.mark.parametrize("sentence, expected", [
    # what could be the basis for talks is put forward; the talks are its aim
    ("The Kremlin said the 2022 draft agreement could be the basis for new talks.", {("russia", "peace_deal", "offers")}),
    # an aside in parentheses neither ends the clause nor swallows the next cue
    ("克里姆林宫表示,和平协议草案(但基辅拒绝)可能是会谈的基础。",
     {("russia", "peace_deal", "offers"), ("ukraine", "peace_deal", "rejects")}),
])
def test_a_basis_for_talks_offers_what_it_names(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_a_partys_office_followed_by_a_name_speaks_as_that_person(profile):
    [finding] = extract_positions(["Ukraine's human rights commissioner Dmytro Lubinets demanded the return of children deported to Russia."],
                                  profile)
    assert (finding.party, finding.issue, finding.stance, finding.speaker) == ("ukraine", "prisoners", "demands", "Dmytro Lubinets")


@pytest.mark.parametrize("sentence, expected", [
    # the agent of a passive holds the stance; what it was said of is the matter
    ("The ceasefire proposal was rejected by Russia.", {("russia", "ceasefire", "rejects")}),
    ("A ceasefire was proposed by Ukraine.", {("ukraine", "ceasefire", "offers")}),
    # a relative clause's antecedent holds its stance, and the clause closes before the main verb
    ("Russia, which has long demanded Ukraine's neutrality, rejected the peace plan.",
     {("russia", "nato_membership", "demands"), ("russia", "peace_deal", "rejects")}),
    # 对记者说 names the audience: the foreign minister speaks for his party, not as a journalist
    ("乌克兰外长西比加对记者说,基辅准备实现全面停火。", {("ukraine", "ceasefire", "offers")}),
    ("克里姆林宫发言人佩斯科夫说,俄方对与乌克兰谈判持开放态度。", {("russia", "talks", "offers")}),
])
def test_passives_relatives_and_audiences(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


@pytest.mark.parametrize("sentence", [
    "Former NATO commander James Stavridis said Ukraine should accept security guarantees instead of membership.",
    "The Institute for the Study of War said Russia is not interested in a ceasefire.",
    "Trump, as a candidate, promised to end the war in 24 hours.",
])
def test_former_officials_institutes_and_campaign_promises_hold_no_position(profile, sentence):
    assert extract_positions([sentence], profile) == []


def test_current_and_former_officials_still_speak_for_their_party(profile):
    found = extract_positions(["Five current and former Russian officials said the Kremlin could broadly agree to a ceasefire "
                               "along the line of contact."], profile)
    assert ("russia", "ceasefire", "offers") in triples(found)


@pytest.mark.parametrize("sentence, expected", [
    ("Russia's terms for a peace deal include Ukraine's neutrality.",
     {("russia", "peace_deal", "conditions"), ("russia", "nato_membership", "demands")}),
    ("Kyiv has signalled it could accept a ceasefire along the current front line.", {("ukraine", "ceasefire", "accepts")}),
    ("Ukraine will hold elections once martial law is lifted, Zelensky said.", {("ukraine", "elections", "conditions")}),
    ("Russia has repeatedly said it will not return the annexed regions.", {("russia", "territory", "rejects")}),
])
def test_terms_signals_once_and_refusals_to_return(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_part_of_a_deal_is_no_territorial_claim(profile):
    found = extract_positions(["Washington said sanctions relief for Russia could be part of a peace deal."], profile)
    assert not any(f.stance == "demands" for f in found)
    claim = extract_positions(["Putin said the four regions are part of Russia."], profile)
    assert ("russia", "territory", "demands") in triples(claim)


@pytest.mark.parametrize("sentence, expected", [
    ("克里姆林宫发表声明说,黑海协议须在满足若干条件后方可生效,包括解除对俄罗斯农业银行的制裁。",
     {("russia", "maritime_ceasefire", "conditions"), ("russia", "sanctions", "demands")}),
    # 应 as a modal of obligation, said by a party's speaker
    ("佩斯科夫表示,乌克兰应撤出四个地区。", {("russia", "territory", "demands")}),
])
def test_chinese_conditions_after_a_modal_and_the_modal_ying(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_ying_inside_a_word_is_no_modal(profile):
    found = extract_positions(["克里姆林宫对乌克兰的停火提议作出回应。"], profile)
    assert not any(f.stance == "demands" for f in found)


@pytest.mark.parametrize("sentence, expected", [
    ("Putin announced a three-day ceasefire for Victory Day.", {("russia", "ceasefire", "offers")}),
    ("普京宣布复活节停火。", {("russia", "ceasefire", "offers")}),
    ("Russia pulled out of the Black Sea Grain Initiative in July 2023.", {("russia", "maritime_ceasefire", "rejects")}),
    ("Hungary blocked new EU sanctions on Russia.", {("hungary", "sanctions", "rejects")}),
    ("Ukraine's parliament ratified the minerals agreement.", {("ukraine", "peace_deal", "accepts")}),
])
def test_announcing_a_truce_leaving_a_deal_blocking_and_ratifying(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected


def test_withdrawing_from_a_place_is_no_refusal(profile):
    assert extract_positions(["Ukraine withdrew from Kherson in 2022."], profile) == []


def test_accepting_a_proposal_another_party_put_forward_records_both(profile):
    found = extract_positions(["普京表示,俄方原则上同意美国提出的停止敌对行动的建议。"], profile)
    assert triples(found) == {("russia", "ceasefire", "accepts"), ("united_states", "ceasefire", "offers")}
    # a noun that is no cue on its own (的要求) still completes a cue before it
    assert triples(extract_positions(["俄方提出了乌克兰撤军的要求。"], profile)) == {("russia", "territory", "demands")}


def test_what_a_candidate_would_do_if_elected_is_no_position(profile):
    assert extract_positions(["特朗普说,如果他上任,他将要求双方立即停火。"], profile) == []
    assert extract_positions(["Trump said that if elected he would demand an immediate ceasefire."], profile) == []


@pytest.mark.parametrize("sentence", [
    "Ukraine denied attacking Russian energy facilities.",
    "Kyiv denied receiving any proposals on territory from Moscow.",
    "乌克兰否认袭击了俄罗斯能源设施。",
])
def test_a_denial_of_a_fact_is_no_stance(profile, sentence):
    assert extract_positions([sentence], profile) == []


def test_a_denial_of_a_reported_stance_is_still_a_denial(profile):
    found = extract_positions(["The Kremlin denied reports that Russia was ready to freeze the front line."], profile)
    assert ("russia", "territory", "denies") in triples(found)


@pytest.mark.parametrize("sentence, expected", [
    ("Russia proposed talks in a bid to ease sanctions.", {("russia", "talks", "offers")}),
    ("The US offered to lift some sanctions to pave the way for a peace deal.", {("united_states", "sanctions", "offers")}),
    # an infinitive right after the cue is its content, not a purpose
    ("Russia and Ukraine agreed to ensure safe navigation.", {("russia", "maritime_ceasefire", "accepts"), ("ukraine", "maritime_ceasefire", "accepts")}),
])
def test_a_purpose_is_not_a_second_issue(profile, sentence, expected):
    assert triples(extract_positions([sentence], profile)) == expected
