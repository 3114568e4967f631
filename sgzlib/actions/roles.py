"""Who may do each action of this package, as data without imports (the page registry reads it at start-up).

Action → (the roles of the access file that may do it besides 管理员, what it is called). ``guard`` checks it
before every write; ``dashboards.pages`` shows a page only to these roles.
"""

ADMIN = "管理员"
MAY = {
    "record": (("督导",), "记录督导、更改行动项状态"),
    "verify": (("评估方",), "核验检查项"),
    "score": (("评估方",), "上传评分细则、评估打分"),
    "signoff": (("评估方",), "签字确认"),
}
