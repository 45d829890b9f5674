/work/main/build/obj/common/nl_json.o: /work/main/common/nl_json.cpp \
 /work/main/common/nl_json.h
/work/main/common/nl_json.h:
