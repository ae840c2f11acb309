#!/usr/bin/env python3
# How much a household's class could help the estimate of a month with no reading to learn from
# (a household's first months: the class default, docs/estimation.md). For every household-month of
# the London file with >= 25 days, the month's daily rate is predicted by the median of the same
# month over (a) every household, (b) its ACORN group, (c) its ACORN class (its group when the class
# has < 30 households that month); prints median and P90 APE. In sample, so optimistic for (b), (c).
#   python3 scripts/analysis/acorn_class_default.py   (~2 min)
# Session 19: (a) 41.4 / 138.7, (b) 41.2 / 138.2, (c) 39.3 / 128.5 over 112,971 months.
import gzip, csv, collections, os, statistics as st
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../shared/data/consumption')
cls={}
for r in csv.DictReader(open(DATA + '/london_lcl_households.csv')):
    cls[r['household_id']]=(r['acorn'],r['acorn_grouped'],r['tariff_group'])
m=collections.defaultdict(lambda:[0.0,0])
with gzip.open(DATA + '/london_lcl_daily_kwh.csv.gz','rt') as f:
    next(f)
    for line in f:
        h,d,k=line.rstrip().split(',')
        e=m[(h,d[:7])]; e[0]+=float(k); e[1]+=1
rates={(h,mo):v[0]/v[1] for (h,mo),v in m.items() if v[1]>=25}
def med(xs): return st.median(xs)
bymonth=collections.defaultdict(list); byg=collections.defaultdict(list); bya=collections.defaultdict(list)
for (h,mo),r in rates.items():
    bymonth[mo].append(r)
    if h in cls: byg[(cls[h][1],mo)].append(r); bya[(cls[h][0],mo)].append(r)
def ape_stats(pred):
    errs=[]
    for (h,mo),r in rates.items():
        if h not in cls or r*30<10: continue
        p=pred(h,mo)
        errs.append(abs(p-r)/r*100)
    errs.sort(); n=len(errs)
    return round(errs[n//2],1), round(errs[int(n*0.9)],1), n
print('population median', ape_stats(lambda h,mo: med(bymonth[mo])))
print('acorn group median', ape_stats(lambda h,mo: med(byg[(cls[h][1],mo)])))
print('acorn median', ape_stats(lambda h,mo: med(bya[(cls[h][0],mo)]) if len(bya[(cls[h][0],mo)])>=30 else med(byg[(cls[h][1],mo)])))
