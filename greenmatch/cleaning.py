"""Turn an official catalogue explanation into matching text.

The official explanations mix two things: what an entry covers (its 包括… list of activities,
products and facilities) and what a project must comply with (standards, document numbers,
efficiency thresholds). Only the first helps to match a project name, so cleaning keeps it and
drops the second, like the column the original project called SIM_POOL_PURE.
"""

import re

# 《标准名称》 followed by one or more bracketed codes: （GB 24500）, (GB/T 50378), （含修改单）.
_CITATION = re.compile(r"《[^》]*》(?:\s*[（(][^（()）]*[）)])+")
# A bare 《名称》 with no code, such as 《国家危险废物名录》: its name says what is covered.
_NAMED_DOCUMENT = re.compile(r"《([^》]*)》")
# Document numbers such as 发改环资〔2017〕1234号 or 国发[2016]65号. The issuer abbreviation
# before the bracket is removed only where it follows a bracket, comma or space, so that the
# words in front of a bare number (包括按照发改环资〔2017〕1234号) stay with the abbreviation.
_DOCUMENT_NUMBER = re.compile(
    r"(?:(?<=[（(、，,\s])[\u4e00-\u9fff]{1,8})?[〔\[［【]\s*\d{4}\s*[〕\]］】]\s*\d+\s*号"
)
# Bare standard codes left outside a citation: GB 24500, GB/T 19001, HJ 2025, DZ/T 0286.
_STANDARD_CODE = re.compile(r"[（(]?\b(?:GB|HJ|JB|JG|CJ|DL|NB|DZ|MH|YC|QC|SH|SL|TSG|CJJ|JGJ|LY|NY|HG|YB|JT)(?:/[TZ])?\s*[A-Z]?\s*\d+(?:[.\-]\d+)*(?:-\d{4})?[）)]?")
# Sentences that only state compliance or thresholds. A clause that starts with 包括 is kept.
_COMPLIANCE = re.compile(
    r"(符合|达到|优于|满足|不低于|不高于|不超过|低于|高于|执行|参照|需符合|应符合|须符合|鼓励达到)"
    r".*(标准|要求|规定|等级|限值|指标|水平|规范|名录|目录|导则|值|办法|意见|规划|计划|通知)"
)
# A clause whose compliance verb lost its object when the citations were removed, such as
# "，需符合等相关要求" left from "，需符合《…》（GB …）等相关要求".
_ORPHANED_CLAUSE = re.compile(r"[，,][^，,。；;]*?(?:符合|满足|达到|执行|参照)(?=等|[。；;]|$)[^，,。；;]*")
_SENTENCE_END = re.compile(r"(?<=[。；;])")


def strip_citations(text: str, keep_names: bool = False) -> str:
    """Remove citations of standards and policy documents, keeping the rest of the sentence.

    With ``keep_names`` the names of the cited documents stay (without their codes and book
    marks), for explanations that say nothing but which standards apply.
    """
    if keep_names:
        text = _CITATION.sub(lambda match: _NAMED_DOCUMENT.match(match.group(0)).group(1), text)
    else:
        text = _CITATION.sub("", text)
    text = _NAMED_DOCUMENT.sub(r"\1", text)
    text = _DOCUMENT_NUMBER.sub("", text)
    text = _STANDARD_CODE.sub("", text)
    text = re.sub(r"[（(][\s、，,]*[)）]", "", text)
    text = re.sub(r"[、，,]{2,}", "、", text)
    text = re.sub(r"、(?=[等和及])", "", text)
    return re.sub(r"\s+", " ", text).strip()


def clean_explanation(explanation: str) -> str:
    """Return the matching text of an official explanation.

    Citations of standards and documents are removed, and so are the sentences that only state
    compliance thresholds. The list of covered activities and products stays, and so do the
    names of cited lists that define what is covered (《国家危险废物名录》). When the explanation
    has nothing but threshold sentences, the names of the cited standards are kept, because
    they are then the only words that say what the entry is about; so no entry is reduced to
    its bare title.

    Example::

        >>> clean_explanation(
        ...     "包括节能泵、节能型真空炉等设备制造。清水离心泵能效指标优于"
        ...     "《清水离心泵能效限定值及节能评价值》（GB 19762）标准中节能评价值水平。"
        ... )
        '包括节能泵、节能型真空炉等设备制造。'
        >>> clean_explanation(
        ...     "指绿色建筑的设计和建造。建筑需达到《绿色建筑评价标准》（GB/T 50378）等标准中一星及以上标准要求。"
        ... )
        '指绿色建筑的设计和建造。'
        >>> clean_explanation("包括《国家危险废物名录》所涉及废弃物的运输。运输过程要符合《危险废物收集、贮存、运输技术规范》（HJ 2025）。")
        '包括国家危险废物名录所涉及废弃物的运输。'
        >>> clean_explanation("符合《风力发电场设计规范》（GB 51096）、《风电场接入电力系统技术规定》(GB/T 19963)等标准。")
        '符合风力发电场设计规范、风电场接入电力系统技术规定等标准。'
    """
    explanation = (explanation or "").strip()
    if not explanation:
        return ""

    kept = []
    for sentence in _SENTENCE_END.split(explanation):
        sentence = sentence.strip()
        if not sentence:
            continue
        if _COMPLIANCE.search(sentence) and not sentence.startswith(("包括", "指", "主要包括")):
            continue
        kept.append(_ORPHANED_CLAUSE.sub("", strip_citations(sentence)))

    cleaned = "".join(part for part in kept if part.strip("。；; "))
    if not cleaned:
        cleaned = strip_citations(explanation, keep_names=True)
    return _finish_sentence(cleaned)


def _finish_sentence(text: str) -> str:
    text = text.strip()
    if text.endswith(("；", ";")):
        text = text[:-1] + "。"
    return text
