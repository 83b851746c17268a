"""Which numbers of an abstract are claims (offline-v6, v7), one rule a case, on sentences made up
for the test: set-up numbers (hardware, workload sizes, schedules, shares of the data, data
completeness), statistics (confidence levels, a metric's name), references (an oracle, the
baselines a clause is about, a population's rate) are not gains; the gains next to them are."""

from __future__ import annotations

import pytest

from agent.summarize.offline import extract_gains

METHOD = "FooNet"


def values(text: str) -> list[tuple[float, str]]:
    return [(g.value, g.unit) for g in extract_gains(text, METHOD)]


@pytest.mark.parametrize(
    "text",
    [
        "FooNet runs on a single RTX 4090 (24 GB) and is 2.1x faster than BarNet.",
        "FooNet fits on one 24 GB GPU and is 2.1x faster than BarNet.",
        "We train FooNet on 8 GPUs (80 GB VRAM each) and it is 2.1x faster than BarNet.",
        "Under 64KB random write workloads, FooNet is 2.1x faster than BarNet.",
    ],
)
def test_memory_that_sizes_a_device_or_a_workload_is_set_up(text: str) -> None:
    assert values(text) == [(2.1, "x")]


def test_memory_saved_per_device_is_still_a_gain() -> None:
    assert values("FooNet saves 20 GB per GPU compared with BarNet.") == [(20.0, "GB")]


@pytest.mark.parametrize(
    "text",
    [
        "FooNet raises the share of hard examples (25%→50%→75%) and improves accuracy by 4%.",
        "FooNet anneals the mask ratio ($10\\%\\rightarrow 30\\%\\rightarrow 60\\%$) and "
        "improves accuracy by 4\\%.",
    ],
)
def test_an_arrow_chain_is_a_schedule(text: str) -> None:
    assert [v for v, _ in values(text)] == [4.0]


def test_the_start_of_an_arrow_pair_is_not_claimed() -> None:
    assert values("FooNet lifts recall 41% -> 58% over BarNet.") == [(58.0, "%")]


@pytest.mark.parametrize(
    "text",
    [
        "Steering as few as 15% of tokens, FooNet improves accuracy by 3% over BarNet.",
        "FooNet finds leaks that make up less than 0.01% of the total tokens, beating BarNet "
        "by 9%.",
    ],
)
def test_a_share_of_the_data_is_a_setting(text: str) -> None:
    assert [v for v, _ in values(text)] == [3.0 if "Steering" in text else 9.0]


def test_a_share_of_the_data_that_the_method_cuts_is_a_gain() -> None:
    assert values("FooNet reduces the prompt to 30% of the tokens, unlike BarNet.") == [(30.0, "%")]


def test_a_full_width_percent_is_read() -> None:
    gains = extract_gains("FooNet improves accuracy by 40％ over BarNet.", METHOD)
    assert [(g.value, g.unit, g.quote) for g in gains] == [(40.0, "%", "accuracy by 40％")]


def test_a_confidence_level_with_a_word_between_is_not_a_gain() -> None:
    text = "With 90% bootstrap CIs, FooNet improves F1 by 6% over BarNet."
    assert values(text) == [(6.0, "%")]


def test_a_number_in_a_metrics_name_is_not_a_value() -> None:
    text = "FooNet lowers the 95% Hausdorff distance (HD95) by 12% against BarNet."
    assert values(text) == [(12.0, "%")]


def test_an_oracles_number_is_a_reference() -> None:
    text = "An ensemble oracle reaches F1=0.61 on this task, while FooNet improves F1 by 8%."
    assert values(text) == [(8.0, "%")]


def test_a_data_sets_completeness_limit_is_set_up() -> None:
    text = "We image the field with FooNet (90% complete to 27 mag) and cut noise by 20%."
    assert values(text) == [(20.0, "%")]


def test_how_common_a_property_is_in_the_sample_is_a_measurement() -> None:
    assert values("The incidence of flares in the FooNet sample is high (>60%).") == []


def test_a_rate_of_the_method_that_rises_is_a_gain() -> None:
    assert values("The fraction of tasks FooNet solves rises to 70%.") == [(70.0, "%")]


def test_a_clause_without_a_subject_shares_the_sentences_others() -> None:
    text = "Leading models like BarNet reach 80% accuracy, but miss 30-40% of faults."
    assert values(text) == []


def test_the_weakest_baselines_are_others() -> None:
    text = "We find that the weakest baselines are wrong on 35 to 40 percent of cases."
    assert values(text) == []


def test_a_score_name_before_a_hedged_number_gives_its_unit() -> None:
    text = "FooNet beats logistic regression on small samples (AUC up to 0.81)."
    assert values(text) == [(0.81, "AUC")]


def test_a_parenthesized_gain_after_a_comma_is_ours() -> None:
    text = "FooNet is more efficient than BarNet, yielding safer policies (18% fewer crashes)."
    assert values(text) == [(18.0, "%")]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("The FooNet run sustained 120.5 PFLOPs peak performance.", "PFLOPs"),
        ("FooNet saves about 900 CPU hours per run over BarNet.", "CPU hours"),
    ],
)
def test_flops_and_cpu_hours_are_units(text: str, unit: str) -> None:
    assert [u for _, u in values(text)] == [unit]


def test_maintaining_a_figure_states_a_result() -> None:
    text = "The attack also transfers to new data sets, maintaining an average ASR of 97.2%."
    assert extract_gains(text, None) and extract_gains(text, None)[0].value == 97.2


def test_a_score_named_before_scores_of_is_its_unit() -> None:
    text = "FooNet reaches Cohen's kappa scores of 0.82 against expert raters."
    assert values(text) == [(0.82, "kappa")]


@pytest.mark.parametrize(
    "text",
    [
        "We find that 85% of the observed comets favour a blue tail.",
        "We estimate the chance of a second flare within a year to be 30%.",
        "We derive shifts of about 12-18% in the halo masses of the simulated clusters.",
    ],
)
def test_a_measured_or_found_number_is_not_a_gain(text: str) -> None:
    # offline-v7: a clause that reports what was found, measured or estimated, with no method
    # named and no method-result cue, measures the thing studied
    assert values(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "We find that FooNet improves recall by 12%.",
        "We measure a 3.1x speedup over BarNet.",
        "Our attack evades spam detection for 71.5% of the messages.",
    ],
)
def test_a_measured_method_result_is_still_a_gain(text: str) -> None:
    assert len(values(text)) == 1


def test_a_decade_is_not_seconds() -> None:
    # offline-v7: "the 2030s" glued an "s" to a year; it is a time of history, not a duration
    assert values("FooNet, planned for the 2030s, is 2.1x faster than BarNet.") == [(2.1, "x")]
    assert values("FooNet answers in 30s, 2.1x faster than BarNet.") == [(30.0, "s"), (2.1, "x")]


@pytest.mark.parametrize(
    "text",
    [
        # offline-v7: "exceeding those of" names the other side, and so does each listed value
        "FooNet reaches a recall of 91.0%, exceeding those of BarNet (70.2%) and BazNet (65.1%).",
        "FooNet reaches a recall of 91.0%, outperforming BarNet (70.2%) and BazNet (65.1%).",
    ],
)
def test_every_listed_value_of_the_other_side_is_theirs(text: str) -> None:
    assert values(text) == [(91.0, "%")]


def test_a_hedged_starting_point_is_not_a_gain() -> None:
    # offline-v7: "from about 40% to roughly 12%": 40% is where the change starts
    assert values("With FooNet the error drops from about 40% to roughly 12%.") == [(12.0, "%")]


@pytest.mark.parametrize(
    "text",
    [
        "We consider two dust loadings (10% and 40%) for the disk models.",
        "We used shutter times of 2 s and 8 s to follow the flares.",
    ],
)
def test_what_the_authors_chose_to_run_with_is_a_setting(text: str) -> None:
    # offline-v7: a sentence that says what was chosen and states no result
    assert values(text) == []


def test_a_chosen_method_that_achieves_something_still_claims() -> None:
    assert values("We use FooNet to cut latency by 35%.") == [(35.0, "%")]


def test_the_period_or_age_of_a_thing_is_not_a_gain() -> None:
    # offline-v7: a time that is a property of the thing studied, not a time saved or taken
    assert values("FooNet finds a binary with an orbital period of 9.2 hours.") == []
    assert values("FooNet cuts the build time to 3 hours, 2x faster than BarNet.") == [
        (3.0, "hours"),
        (2.0, "x"),
    ]


def test_a_value_given_to_a_subscripted_symbol_is_a_parameter() -> None:
    # offline-v7: "($f_{\rm gas}=30\%$)" sets a parameter of the run
    text = "FooNet halves the error in the dense runs ($f_{\\rm gas}=30\\%$) over BarNet."
    assert values(text) == []


def test_a_share_something_contributes_to_a_total_is_not_a_gain() -> None:
    # offline-v7: a decomposition of what is studied, not a change the method made
    text = "In FooNet runs, mergers contribute about 23% of the total mass, 2x more than in BarNet."
    assert values(text) == [(2.0, "x")]


@pytest.mark.parametrize(
    "text",
    [
        "We find that the peak fluxes of 2026 are up to 5 times greater than in 2023.",
        "The analysis finds that satellite labels under-report damage by at least 20.43% "
        "compared to drone labels.",
    ],
)
def test_a_comparison_alone_does_not_make_a_measurement_a_result(text: str) -> None:
    assert values(text) == []


def test_a_measured_comparison_of_the_method_is_still_a_result() -> None:
    assert values("We find that FooNet is 2.5x faster than BarNet.") == [(2.5, "x")]


@pytest.mark.parametrize(
    "text",
    [
        "The 15,814 buildings represent 19.05 times more buildings than the most relevant "
        "prior work.",
        "The corpus is 5x larger than existing video QA benchmarks.",
    ],
)
def test_data_larger_than_earlier_data_is_a_dataset_size(text: str) -> None:
    assert values(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FooNet achieves 3x more throughput than prior work.", [(3.0, "x")]),
        ("FooNet performs on par with models trained on 3x more examples.", [(3.0, "x")]),
    ],
)
def test_a_metric_or_a_data_saving_against_earlier_work_is_a_gain(
    text: str, expected: list[tuple[float, str]]
) -> None:
    assert values(text) == expected


def test_the_share_of_data_a_condition_names_is_a_setting() -> None:
    text = "FooNet matches BarNet, particularly when labelled training data is scarce ($<20\\%$)."
    assert values(text) == []
    text = "FooNet beats BarNet by 7% when labelled data is scarce (5%)."
    assert values(text) == [(7.0, "%")]


@pytest.mark.parametrize(
    "text",
    [
        # review of offline-v9: a named system on the other side, however it is spelled
        "We measure 1.8x higher goodput vs. BarServe.",
        "We measure 2.4x higher IOPS than ext4.",
        "We measure 35% fewer page faults than the stock Linux kernel.",
        # the method's own work against earlier work is no dataset size
        "FooNet detects 4x more vulnerabilities than prior work.",
        # a signed gain after a condition on data is the gain
        "Training FooNet with synthetic data boosts accuracy (+6.2%).",
    ],
)
def test_review_cases_stay_claims(text: str) -> None:
    assert len(values(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        # a clause that "with" or "where" brings in has its own subject: others' numbers
        "Our benchmark is hard, with even state-of-the-art models like GPT-4 achieving only "
        "39.8% recall.",
        "We test 20 models: even the best models solve only 12% of the tasks.",
        # a percent paired with a quantity of another unit is the criterion a result is checked at
        "FooNet passes the gamma test at (3%/2mm) on every site.",
    ],
)
def test_others_numbers_and_criteria_are_no_gains(text: str) -> None:
    assert values(text) == []


def test_the_best_systems_of_a_challenge_keep_their_result() -> None:
    text = "The best attacker systems reduced the equal error rate (EER) by 25-44% relative."
    assert values(text) == [(25.0, "%")]


def test_a_gap_in_brackets_after_the_other_side_is_ours() -> None:
    text = "FooNet is more faithful than prior methods (30% or higher improvement in error)."
    assert values(text) == [(30.0, "%")]
    assert values("FooNet outperforms the U-Net (85.3%) with 90.1% accuracy.") == [(90.1, "%")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an outcome rate after "with a" is how well the method did, not a setting
        ("FooNet detects the attack with a 100% success rate.", [(100.0, "%")]),
        ("FooNet is trained with a 10% masking rate.", []),
        # k-fold cross-validation with a word between is the protocol
        (
            "Under a 3-fold sliding-window cross-validation, FooNet reaches 0% violations.",
            [(0.0, "%")],
        ),
        # a sentence reporting an evaluation presents its numbers as results
        ("Evaluation across seven workloads demonstrates 93.9% average efficiency.", [(93.9, "%")]),
        ("Observations show 40% of the stars are binaries.", []),
    ],
)
def test_outcomes_settings_and_protocols(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inside brackets after the other side's name, past the first word, numbers are its own
        (
            "It exceeded the strongest baseline, the AFPF-Net (MRE = 1.25 mm, SDR = 84.1%), "
            "while using less than 25% of its parameters.",
            [(25.0, "%")],
        ),
        ("FooNet outperforms multiprocessing (limited by ~8x memory overhead).", []),
        # the gap in brackets is ours
        ("FooNet outperforms BarNet (by 12% on average).", [(12.0, "%")]),
        # the bracket of the paper's own work, after a comparison opener, stays ours
        (
            "Compared with vanilla systems (e.g., vLLM and PEFT), FooNet incurs modest overhead "
            "(less than 19.6 percent in throughput).",
            [(19.6, "%")],
        ),
        # a clause set against the paper's own with "whereas" is the other side
        (
            "Models with lower error degrade by 190% to 1400%, whereas FooNet degrades by "
            "only 39%.",
            [(39.0, "%")],
        ),
    ],
)
def test_the_other_sides_numbers_around_a_comparison(
    text: str, expected: list[tuple[float, str]]
) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the conditions a result holds under are settings
        ("FooNet is robust across four regimes at rates up to 50%.", []),
        ("FooNet beats BarNet by 1.31x under 30% bimodal-random corruption.", [(1.31, "x")]),
        ("FooNet improves accuracy by 5% with 20% label noise.", [(5.0, "%")]),
        # the value a result is held against is no result
        ("FooNet returns flag rates closer to the nominal 10%.", []),
        # TeX's tie between a number and its unit
        ("FooNet adds only +1~ms latency.", [(1.0, "ms")]),
        # a bit rate is a unit
        (
            "FooNet reaches a data rate of 21.6 kbps, 3x more than BarNet.",
            [(21.6, "kbps"), (3.0, "x")],
        ),
    ],
)
def test_conditions_references_and_units(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


def test_the_second_value_of_a_refused_measurement_is_refused_too() -> None:
    text = (
        "~70% of cores appear stable against collapse when considering turbulence alone, "
        "and ~85% when combining both kinetic and magnetic support."
    )
    assert values(text) == []
    assert values("FooNet cuts latency by 30% on A, and 40% on B.") == [(30.0, "%"), (40.0, "%")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # review of offline-v10: results the first rules dropped
        ("FooNet outperforms BarNet on all benchmarks (top-1 accuracy of 85.2%).", [(85.2, "%")]),
        ("FooNet yields images with 20% less noise than BM3D.", [(20.0, "%")]),
        ("FooNet achieves the expected 2x speedup over BarNet.", [(2.0, "x")]),
        (
            "FooNet is trained at a 10% masking rate, and 85% accuracy is reached over BarNet.",
            [(85.0, "%")],
        ),
        (
            "Existing stores suffer from lock stalls; FooNet reduces latency by 40%, and "
            "improves throughput by 2x over BarDB.",
            [(40.0, "%"), (2.0, "x")],
        ),
        # and a criterion in degrees
        ("FooNet passes the test at (3%/3°).", []),
    ],
)
def test_review_of_v10_detection(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected
